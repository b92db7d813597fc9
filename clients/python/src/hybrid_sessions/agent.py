"""ConversationAgent: the interface existing users already call, on top of the HTTP API.

Sessions are automatic: the first `chat` starts one and later calls continue it until
`end_session`. The enhanced methods (search, similar, analytics) degrade as the service does:
search answers from the keyword fallback with `degraded: True`, and analytics or similar
sessions that are unavailable return `{"available": False, ...}` instead of raising, so an
app's conversation never breaks because BigQuery or Vector Search is down.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal, TypedDict, cast

from hybrid_sessions._base import Token
from hybrid_sessions.client import HybridSessionsClient
from hybrid_sessions.config import ClientConfig
from hybrid_sessions.errors import ApiError
from hybrid_sessions.models import (
    Analytics,
    ErrorBody,
    Message,
    Role,
    SearchResponse,
    Session,
    SimilarSessions,
)

_DEGRADABLE_STATUS = frozenset({502, 503, 504})


class Unavailable(TypedDict):
    """What a degradable call answers while its feature is down."""

    available: Literal[False]
    error: ErrorBody
    retry_after: float | None


class AvailableAnalytics(Analytics):
    available: Literal[True]


class AvailableSimilarSessions(SimilarSessions):
    available: Literal[True]


class ConversationAgent:
    """`ConversationAgent(base_url, token)`, or `ConversationAgent(client=...)`; without
    either, HS_API_URL and HS_API_TOKEN are read."""

    def __init__(
        self,
        base_url: str | None = None,
        token: Token | None = None,
        *,
        client: HybridSessionsClient | None = None,
        session_id: str | None = None,
    ) -> None:
        if client is None:
            config = ClientConfig.from_env()
            token = token or config.api_token
            if not token:
                raise ValueError("give a client, or a token (or set HS_API_TOKEN)")
            client = HybridSessionsClient(base_url or config.api_url, token)
        self.client = client
        self.session_id = session_id
        self.last_response: dict[str, Any] | None = None

    # --- conversation ---------------------------------------------------------------------
    def chat(self, message: str, session_id: str | None = None, **metadata: Any) -> str:
        """Send `message`, return the reply's text. Starts a session when there is none."""
        response = self.client.chat(
            message, session_id or self.session_id, metadata=metadata or None
        )
        self.session_id = response["session_id"]
        self.last_response = dict(response)
        return str(response["reply"]["content"])

    def chat_stream(self, message: str, session_id: str | None = None) -> Iterator[str]:
        """The reply's text as it arrives; the session continues as with `chat`."""
        for event in self.client.chat_stream(message, session_id or self.session_id):
            if event.event == "session":
                self.session_id = event.json().get("session_id", self.session_id)
            elif event.event == "delta":
                yield str(event.json().get("text", ""))
            elif event.event == "done":
                self.last_response = event.json()
                self.session_id = self.last_response.get("session_id", self.session_id)
            elif event.event == "error":
                error = event.json().get("error", {})
                raise ApiError(502, error.get("code", "stream_error"), error.get("message", ""))

    def start_session(self, title: str | None = None, **metadata: Any) -> str:
        session = self.client.create_session(title=title, metadata=metadata or None)
        self.session_id = session["session_id"]
        return self.session_id

    def end_session(self) -> Session | None:
        """Archive the current session; the next `chat` starts a new one."""
        if self.session_id is None:
            return None
        session = self.client.update_session(self.session_id, status="archived")
        self.session_id = None
        return session

    def get_session_history(
        self, session_id: str | None = None, *, limit: int | None = None
    ) -> list[Message]:
        """Messages of a session, oldest first (the last `limit` ones when given)."""
        sid = session_id or self.session_id
        if sid is None:
            return []
        if limit is None:
            return list(self.client.iter_messages(sid))
        page = self.client.list_messages(sid, order="desc", page_size=limit)
        return list(reversed(page["messages"]))

    # --- enhanced features ------------------------------------------------------------------
    def search_conversation_history(
        self,
        query: str,
        *,
        limit: int = 10,
        session_id: str | None = None,
        role: Role | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> SearchResponse:
        """`{"results": [...], "degraded": bool, ...}`: by meaning, or by keywords if degraded."""
        return self.client.search(
            query, limit=limit, session_id=session_id, role=role, since=since, until=until
        )

    def find_similar_conversations(
        self, session_id: str | None = None, *, limit: int = 5
    ) -> AvailableSimilarSessions | Unavailable:
        sid = session_id or self.session_id
        if sid is None:
            raise ValueError("no session: chat first or give a session_id")
        answer = _degradable(lambda: self.client.similar_sessions(sid, limit=limit))
        return cast("AvailableSimilarSessions | Unavailable", answer)

    def get_conversation_analytics(
        self,
        *,
        since: str | None = None,
        until: str | None = None,
        granularity: str = "day",
        scope: str | None = None,
    ) -> AvailableAnalytics | Unavailable:
        answer = _degradable(
            lambda: self.client.analytics(
                since=since, until=until, granularity=granularity, scope=scope
            )
        )
        return cast("AvailableAnalytics | Unavailable", answer)


def _degradable(call: Callable[[], Mapping[str, Any]]) -> dict[str, Any]:
    """`{"available": True, **answer}`, or `Unavailable` when the feature is down (5xx)."""
    try:
        return {"available": True, **call()}
    except ApiError as error:
        if error.status not in _DEGRADABLE_STATUS:
            raise
        return {
            "available": False,
            "error": {"code": error.code, "message": error.message},
            "retry_after": error.retry_after,
        }
