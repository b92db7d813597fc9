"""Settings -> services: the only place adapters are built.

Everything is built on first use and cached for the life of the process (one instance serves
many requests), so the sessions function never imports the LLM SDK and the chat function never
builds what it does not call. Tests inject fakes with `Services(settings, store=..., ...)` and
`use(services)`.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from shared.config import Settings, get_settings
from shared.domain import page_tokens

if TYPE_CHECKING:
    from shared.auth import Authenticator
    from shared.ports.analytics_reader import AnalyticsReader
    from shared.ports.analytics_sink import AnalyticsSink
    from shared.ports.api_keys import ApiKeyStore
    from shared.ports.embedder import Embedder
    from shared.ports.event_bus import EventPublisher
    from shared.ports.history_source import HistorySource
    from shared.ports.id_tokens import IdTokenVerifier
    from shared.ports.llm import LLMProvider
    from shared.ports.session_store import SessionStore
    from shared.ports.tombstones import Tombstones
    from shared.ports.vector_index import VectorIndex
    from shared.services.analytics_service import AnalyticsService
    from shared.services.chat_service import ChatService
    from shared.services.erasure_guard import ErasureGuard
    from shared.services.feature_status import FeatureStatus
    from shared.services.ingest_service import IngestService
    from shared.services.message_search import MessageSearch
    from shared.services.outages import Outages
    from shared.services.reconciler import Reconciler
    from shared.services.session_service import SessionService
    from shared.services.similar_sessions import SimilarSessions

T = TypeVar("T")
Clock = Callable[[], datetime]
SearchPort = Callable[[], T] | None


def utc_now() -> datetime:
    return datetime.now(UTC)


class Services:
    """Lazily built, thread-safe singletons of one process. Pass any port to override it."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: SessionStore | None = None,
        events: EventPublisher | None = None,
        llm: LLMProvider | None = None,
        api_keys: ApiKeyStore | None = None,
        analytics: AnalyticsSink | None = None,
        embedder: Embedder | None = None,
        vectors: VectorIndex | None = None,
        analytics_reader: AnalyticsReader | None = None,
        tombstones: Tombstones | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.settings = settings
        self.clock = clock
        page_tokens.configure(page_tokens.derived_key(settings.page_token_key, settings.project))
        self._lock = threading.RLock()
        self._built: dict[str, Any] = {
            k: v
            for k, v in {
                "store": store,
                "events": events,
                "llm": llm,
                "api_keys": api_keys,
                "analytics": analytics,
                "embedder": embedder,
                "vectors": vectors,
                "analytics_reader": analytics_reader,
                "tombstones": tombstones,
            }.items()
            if v is not None
        }
        self._injected = frozenset(self._built)

    def _once(self, name: str, build: Callable[[], T]) -> T:
        try:
            hit: T = self._built[name]
            return hit
        except KeyError:
            pass
        with self._lock:
            if name not in self._built:
                self._built[name] = build()
            built: T = self._built[name]
            return built

    # --- adapters -------------------------------------------------------------------------------

    def _firestore(self) -> Any:
        def build() -> Any:
            from shared.adapters.firestore.client import build_client

            return build_client(self.settings)

        return self._once("firestore", build)

    @property
    def store(self) -> SessionStore:
        def build() -> SessionStore:
            from shared.adapters.firestore.session_store import FirestoreSessionStore

            return FirestoreSessionStore(
                self._firestore(),
                retention_days=self.settings.session_retention_days,
                clock=self.clock,
                window_messages=self.settings.context_max_messages,
            )

        return self._once("store", build)

    @property
    def api_keys(self) -> ApiKeyStore:
        def build() -> ApiKeyStore:
            from shared.adapters.firestore.api_key_store import FirestoreApiKeyStore

            return FirestoreApiKeyStore(self._firestore())

        return self._once("api_keys", build)

    @property
    def events(self) -> EventPublisher:
        def build() -> EventPublisher:
            from shared.adapters.pubsub.event_publisher import PubSubEventPublisher

            return PubSubEventPublisher.from_settings(self.settings)

        return self._once("events", build)

    @property
    def llm(self) -> LLMProvider:
        def build() -> LLMProvider:
            from shared.adapters.llm import build_llm

            return build_llm(self.settings)

        return self._once("llm", build)

    @property
    def id_tokens(self) -> IdTokenVerifier:
        def build() -> IdTokenVerifier:
            from shared.adapters.firebase.id_tokens import FirebaseIdTokenVerifier

            return FirebaseIdTokenVerifier.from_settings(self.settings)

        return self._once("id_tokens", build)

    # --- ingest adapters: BigQuery and Vertex AI (their SDKs load only here) ---------------------

    @property
    def analytics(self) -> AnalyticsSink:
        def build() -> AnalyticsSink:
            from shared.adapters.bigquery.analytics_sink import BigQueryAnalyticsSink

            return BigQueryAnalyticsSink.from_settings(self.settings)

        return self._once("analytics", build)

    @property
    def embedder(self) -> Embedder:
        def build() -> Embedder:
            from shared.adapters.vertex.embedder import VertexEmbedder

            return VertexEmbedder.from_settings(self.settings)

        return self._once("embedder", build)

    @property
    def vectors(self) -> VectorIndex:
        def build() -> VectorIndex:
            if self.settings.vector_backend == "firestore":
                from shared.adapters.firestore.vector_index import FirestoreVectorIndex

                return FirestoreVectorIndex(self._firestore())
            if self.settings.vector_backend == "chroma":
                from shared.adapters.chroma.vector_index import ChromaVectorIndex

                return ChromaVectorIndex.from_settings(self.settings)
            from shared.adapters.vertex.vector_index import VertexVectorIndex

            return VertexVectorIndex.from_settings(self.settings)

        return self._once("vectors", build)

    @property
    def history(self) -> HistorySource:
        """Bulk reads of stored conversations, for the backfill."""

        def build() -> HistorySource:
            from shared.adapters.firestore.history_source import FirestoreHistorySource

            return FirestoreHistorySource(self._firestore())

        return self._once("history", build)

    @property
    def analytics_reader(self) -> AnalyticsReader:
        def build() -> AnalyticsReader:
            from shared.adapters.bigquery.analytics_reader import BigQueryAnalyticsReader

            return BigQueryAnalyticsReader.from_settings(self.settings)

        return self._once("analytics_reader", build)

    # --- search function: Vector Search is optional, so its factories may be None ---------------

    def _vector_search_configured(self) -> bool:
        if {"embedder", "vectors"} <= self._injected:
            return True
        settings = self.settings
        if settings.vector_backend == "firestore":
            return True  # the database every function already uses
        if settings.vector_backend == "chroma":
            return bool(settings.chroma_url)
        return bool(settings.vector_index_endpoint and settings.vector_deployed_index_id)

    def _search_ports(self) -> tuple[SearchPort[Embedder], SearchPort[VectorIndex]]:
        if not self._vector_search_configured():
            return None, None
        return (lambda: self.embedder), (lambda: self.vectors)

    @property
    def outages(self) -> Outages:
        def build() -> Outages:
            from shared.services.outages import Outages

            return Outages(self.settings.degraded_retry_s)

        return self._once("outages", build)

    @property
    def message_search(self) -> MessageSearch:
        def build() -> MessageSearch:
            from shared.services.message_search import MessageSearch, SearchLimits

            s = self.settings
            limits = SearchLimits(
                s.search_max_results,
                s.search_fallback_sessions,
                s.search_fallback_messages,
                s.session_retention_days,
                ranking=s.search_ranking,
            )
            return MessageSearch(
                self.store, *self._search_ports(), self.outages, limits, clock=self.clock
            )

        return self._once("message_search", build)

    @property
    def similar_sessions(self) -> SimilarSessions:
        def build() -> SimilarSessions:
            from shared.services.similar_sessions import SimilarSessions

            return SimilarSessions(self.store, *self._search_ports(), self.outages)

        return self._once("similar_sessions", build)

    @property
    def reports(self) -> AnalyticsService:
        def build() -> AnalyticsService:
            from shared.services.analytics_service import AnalyticsService

            return AnalyticsService(
                lambda: self.analytics_reader,
                self.outages,
                max_days=self.settings.analytics_max_days,
                clock=self.clock,
            )

        return self._once("reports", build)

    @property
    def feature_status(self) -> FeatureStatus:
        def build() -> FeatureStatus:
            from shared.services.feature_status import FeatureStatus

            embedder, vectors = self._search_ports()
            return FeatureStatus(
                embedder=embedder,
                vectors=vectors,
                analytics=lambda: self.analytics_reader,
                outages=self.outages,
                cache_s=self.settings.status_cache_s,
            )

        return self._once("feature_status", build)

    # --- services -------------------------------------------------------------------------------

    @property
    def auth(self) -> Authenticator:
        def build() -> Authenticator:
            from shared.auth import Authenticator

            return Authenticator(self.settings, lambda: self.api_keys, lambda: self.id_tokens)

        return self._once("auth", build)

    @property
    def sessions(self) -> SessionService:
        def build() -> SessionService:
            from shared.domain.models import Limits
            from shared.services.session_service import SessionService

            return SessionService(
                self.store,
                lambda: self.events,
                Limits.from_settings(self.settings),
                idempotency_ttl_s=self.settings.idempotency_ttl_s,
                clock=self.clock,
            )

        return self._once("sessions", build)

    @property
    def chat(self) -> ChatService:
        def build() -> ChatService:
            from shared.domain.models import Limits
            from shared.services.chat_service import ChatService

            return ChatService(
                self.store,
                lambda: self.events,
                lambda: self.llm,
                Limits.from_settings(self.settings),
                system_prompt=self.settings.system_prompt,
                llm_timeout_s=self.settings.llm_timeout_s,
                idempotency_ttl_s=self.settings.idempotency_ttl_s,
                clock=self.clock,
            )

        return self._once("chat", build)

    @property
    def ingest(self) -> IngestService:
        def build() -> IngestService:
            from shared.services.index_text import IndexTextBuilder
            from shared.services.ingest_service import IngestService

            return IngestService(
                analytics=self.analytics,
                embedder=self.embedder,
                vectors=self.vectors,
                index_text=IndexTextBuilder(self.store.get_messages),
                guard=self.erasure_guard,
            )

        return self._once("ingest", build)

    @property
    def erasure_guard(self) -> ErasureGuard:
        def build() -> ErasureGuard:
            from shared.services.erasure_guard import ErasureGuard, tombstone_lifetime

            lifetime = tombstone_lifetime(self.settings.dead_letter_replay_days)
            return ErasureGuard(self.tombstones, lifetime=lifetime)

        return self._once("erasure_guard", build)

    @property
    def tombstones(self) -> Tombstones:
        def build() -> Tombstones:
            from shared.adapters.firestore.tombstones import FirestoreTombstones

            return FirestoreTombstones(self._firestore())

        return self._once("tombstones", build)

    @property
    def reconciler(self) -> Reconciler:
        def build() -> Reconciler:
            from shared.services.reconciler import ReconcileLimits, Reconciler

            s = self.settings
            limits = ReconcileLimits(
                s.reconcile_min_age_s,
                s.reconcile_batch_size,
                s.reconcile_max_items,
                s.session_retention_days,
            )
            return Reconciler(self.store, lambda: self.events, limits, clock=self.clock)

        return self._once("reconciler", build)


_services: Services | None = None
_services_lock = threading.Lock()


def services() -> Services:
    """The process's services, built from `get_settings()` on first use."""
    global _services
    if _services is None:
        with _services_lock:
            if _services is None:
                _services = Services(get_settings())
    return _services


def use(replacement: Services | None) -> None:
    """Install `replacement` (tests), or None to rebuild from settings on next use."""
    global _services
    with _services_lock:
        _services = replacement


def warm_up(module: str, *parts: str) -> None:
    """Import `module` (a function's routes) and build the named `Services` parts in a
    background thread of each serving process, so the first request finds its clients built.

    functions-framework serves through gunicorn, which imports `main.py` in its master and
    forks the worker that serves: the warm-up starts in the worker, after the fork (threads
    and gRPC channels do not survive a fork). The import of `main.py` itself stays light; the
    work happens while the instance waits for, or starts on, its first request, which then
    waits for the part it needs (`Services` builds each once) instead of repeating it.
    """

    def start() -> None:
        threading.Thread(
            target=warm_now, args=(module, *parts), name="warm-up", daemon=True
        ).start()

    os.register_at_fork(after_in_child=start)


def warm_now(module: str, *parts: str) -> None:
    """The warm-up's work. A failure is only logged: the first request builds what is
    missing, and reports the error if it recurs."""
    try:
        importlib.import_module(module)
        built = services()
        for part in parts:
            # Adapters that build their SDK client on first use offer `warm()` to do it now.
            warm_part = getattr(getattr(built, part), "warm", None)
            if callable(warm_part):
                warm_part()
    except Exception:
        logging.getLogger(__name__).warning("warm-up failed", exc_info=True)
