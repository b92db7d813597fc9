"""The API's operations, written once: each function describes one request (a `Call`), and the
sync and async clients send them. Adding a route means one function here and one line in each
client (`name = operation(_routes.name)`).

Retry safety is decided here, where the request is: reads, PATCH and DELETE repeat safely; chat
and appends carry an Idempotency-Key generated once per call, so the server answers a retry from
its stored result instead of writing twice; session creation has no key and is never retried.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from hybrid_sessions.models import (
    Analytics,
    ChatResponse,
    ErasureResult,
    MessageIn,
    MessageList,
    MessagePage,
    Role,
    SearchResponse,
    Session,
    SessionPage,
    SessionStatus,
    SimilarSessions,
    Status,
)

T = TypeVar("T")
_IDEMPOTENT_METHODS = frozenset({"GET", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request; `T` is the type of the JSON answer (`None` for an empty one)."""

    method: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    retry_safe: bool = False
    """Repeating it cannot write twice, though its method alone does not say so."""

    @property
    def repeatable(self) -> bool:
        return self.retry_safe or self.method in _IDEMPOTENT_METHODS


def _drop_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _session(session_id: str, *rest: str) -> str:
    # An id is one path segment whatever it holds: "a/b" must not reach another route.
    return "/".join(("/v1/sessions", quote(session_id, safe=""), *rest))


def _idempotency(key: str | None) -> dict[str, str]:
    return {"Idempotency-Key": key or uuid.uuid4().hex}


# --- chat -----------------------------------------------------------------------------------
def chat(
    message: str,
    session_id: str | None = None,
    *,
    metadata: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> Call[ChatResponse]:
    """One turn: the reply and the stored question. Without `session_id` a session starts."""
    body = _drop_none({"message": message, "session_id": session_id, "metadata": metadata})
    return Call(
        "POST", "/v1/chat", json=body, headers=_idempotency(idempotency_key), retry_safe=True
    )


def chat_stream(
    message: str,
    session_id: str | None = None,
    *,
    metadata: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> Call[None]:
    body = _drop_none(
        {"message": message, "session_id": session_id, "metadata": metadata, "stream": True}
    )
    headers = {"Accept": "text/event-stream", **_idempotency(idempotency_key)}
    return Call("POST", "/v1/chat", json=body, headers=headers)


# --- sessions -------------------------------------------------------------------------------
def create_session(
    title: str | None = None, metadata: Mapping[str, Any] | None = None
) -> Call[Session]:
    return Call("POST", "/v1/sessions", json=_drop_none({"title": title, "metadata": metadata}))


def get_session(session_id: str) -> Call[Session]:
    return Call("GET", _session(session_id))


def list_sessions(
    *,
    status: SessionStatus | None = None,
    page_size: int | None = None,
    page_token: str | None = None,
) -> Call[SessionPage]:
    """One page, newest first; `next_page_token` is absent or None on the last."""
    params = _drop_none({"status": status, "page_size": page_size, "page_token": page_token})
    return Call("GET", "/v1/sessions", params=params)


def update_session(
    session_id: str,
    *,
    title: str | None = None,
    status: SessionStatus | None = None,
    metadata: Mapping[str, Any] | None = None,
    clear_title: bool = False,
) -> Call[Session]:
    """Change what is given (`metadata` replaces the whole object; `clear_title` removes it)."""
    body = _drop_none({"title": title, "status": status, "metadata": metadata})
    if clear_title:
        body["title"] = None
    return Call("PATCH", _session(session_id), json=body)


def delete_session(session_id: str) -> Call[None]:
    """The session, its messages and (through the ingest) every copy of them."""
    return Call("DELETE", _session(session_id))


def list_messages(
    session_id: str,
    *,
    order: str = "asc",
    page_size: int | None = None,
    page_token: str | None = None,
) -> Call[MessagePage]:
    params = _drop_none({"order": order, "page_size": page_size, "page_token": page_token})
    return Call("GET", _session(session_id, "messages"), params=params)


def append_messages(
    session_id: str, messages: Sequence[MessageIn], *, idempotency_key: str | None = None
) -> Call[MessageList]:
    """Store messages without calling the model (apps that call their own)."""
    return Call(
        "POST",
        _session(session_id, "messages"),
        json={"messages": list(messages)},
        headers=_idempotency(idempotency_key),
        retry_safe=True,
    )


def erase_me() -> Call[ErasureResult]:
    """Delete every session and message of the caller, and every copy of them."""
    return Call("DELETE", "/v1/users/me")


# --- enhanced features ----------------------------------------------------------------------
def search(
    query: str,
    *,
    limit: int | None = None,
    session_id: str | None = None,
    role: Role | None = None,
    since: str | None = None,
    until: str | None = None,
    page_token: str | None = None,
) -> Call[SearchResponse]:
    """By meaning over the caller's history; `degraded` when the keyword fallback answered."""
    body = _drop_none(
        {
            "query": query,
            "limit": limit,
            "session_id": session_id,
            "role": role,
            "since": since,
            "until": until,
            "page_token": page_token,
        }
    )
    return Call("POST", "/v1/search", json=body, retry_safe=True)


def similar_sessions(session_id: str, *, limit: int | None = None) -> Call[SimilarSessions]:
    return Call("GET", _session(session_id, "similar"), params=_drop_none({"limit": limit}))


def analytics(
    *,
    since: str | None = None,
    until: str | None = None,
    granularity: str | None = None,
    scope: str | None = None,
) -> Call[Analytics]:
    params = _drop_none(
        {"since": since, "until": until, "granularity": granularity, "scope": scope}
    )
    return Call("GET", "/v1/analytics", params=params)


def status() -> Call[Status]:
    """Which features are live, degraded or off, and why."""
    return Call("GET", "/v1/status")
