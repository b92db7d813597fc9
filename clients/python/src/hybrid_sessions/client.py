"""HybridSessionsClient: one method per route of the public API (infra/api/openapi.yaml), over
httpx. Answers are the API's JSON as typed dicts (`hybrid_sessions.models`).

Transient failures (429, 502, 503, 504, connection errors, timeouts) are retried with backoff
only where a retry is safe (see `_routes`); a `Retry-After` longer than the client would wait is
raised at once, so the caller decides.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx

from hybrid_sessions import _routes
from hybrid_sessions._base import DEFAULT_TIMEOUT, ClientBase, SyncOperation, Token, decode, pages
from hybrid_sessions._routes import Call, T
from hybrid_sessions.errors import ApiError
from hybrid_sessions.models import Message, Session, SessionStatus
from hybrid_sessions.sse import ServerSentEvent, parse_sse


class HybridSessionsClient(ClientBase):
    """`HybridSessionsClient(base_url, token)`; `token` is a bearer credential (an ID token,
    an API key, or locally `dev:<tenant>:<user>`) or a function returning a fresh one.
    Pass `http_client` to reuse your own `httpx.Client` (proxies, transports, limits)."""

    def __init__(
        self,
        base_url: str,
        token: Token,
        *,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retries: int = 3,
        backoff: float = 0.5,
        http_client: httpx.Client | None = None,
    ) -> None:
        super().__init__(base_url, token, retries=retries, backoff=backoff)
        self._http = http_client or httpx.Client(timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HybridSessionsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    chat = SyncOperation(_routes.chat)
    create_session = SyncOperation(_routes.create_session)
    get_session = SyncOperation(_routes.get_session)
    list_sessions = SyncOperation(_routes.list_sessions)
    update_session = SyncOperation(_routes.update_session)
    delete_session = SyncOperation(_routes.delete_session)
    list_messages = SyncOperation(_routes.list_messages)
    append_messages = SyncOperation(_routes.append_messages)
    erase_me = SyncOperation(_routes.erase_me)
    search = SyncOperation(_routes.search)
    similar_sessions = SyncOperation(_routes.similar_sessions)
    analytics = SyncOperation(_routes.analytics)
    status = SyncOperation(_routes.status)

    def iter_sessions(
        self, *, status: SessionStatus | None = None, page_size: int = 100
    ) -> Iterator[Session]:
        """Every session, newest first, page after page."""
        return pages(
            lambda token: self.list_sessions(status=status, page_size=page_size, page_token=token),
            lambda page: page["sessions"],
        )

    def iter_messages(
        self, session_id: str, *, order: str = "asc", page_size: int = 200
    ) -> Iterator[Message]:
        """Every message of a session, in order, page after page."""
        return pages(
            lambda token: self.list_messages(
                session_id, order=order, page_size=page_size, page_token=token
            ),
            lambda page: page["messages"],
        )

    def chat_stream(
        self, message: str, session_id: str | None = None, **options: Any
    ) -> Iterator[ServerSentEvent]:
        """The reply as server-sent events: `session`, `delta`..., then `done` (the answer of
        `chat`) or `error`. Not retried: a stream that broke half-way is the caller's to
        resume with `chat`. `options`: those of `chat` (`metadata`, `idempotency_key`)."""
        request = self._request(self._http, _routes.chat_stream(message, session_id, **options))
        response = self._http.send(request, stream=True)
        try:
            if response.status_code >= 400:
                response.read()
                raise ApiError.from_response(response)
            yield from parse_sse(response.iter_lines())
        finally:
            response.close()

    def _send(self, call: Call[T]) -> T:
        attempt = 0
        while True:
            try:
                return decode(self._http.send(self._request(self._http, call)), call)
            except (httpx.TransportError, ApiError) as exc:
                delay = self._delay(call, attempt, exc if isinstance(exc, ApiError) else None)
                if delay is None:
                    raise
            time.sleep(delay)
            attempt += 1
