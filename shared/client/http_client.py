"""HybridSessionsClient: one method per route of the public API (see infra/api/openapi.yaml).

Transient failures (429, 502, 503, connection errors) are retried with backoff only where a
retry is safe: reads, and chats, which carry an Idempotency-Key generated once per call so the
server answers a retry from its stored result instead of calling the LLM twice.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

import requests

from shared.client.sse import ServerSentEvent, parse_sse

_RETRYABLE_STATUS = frozenset({429, 502, 503, 504})
_IDEMPOTENT_METHODS = frozenset({"GET", "PATCH", "DELETE"})


class ApiError(Exception):
    """An error answer of the API: `status`, machine-readable `code`, human `message`."""

    def __init__(self, status: int, code: str, message: str, retry_after: float | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    @classmethod
    def from_response(cls, response: requests.Response) -> ApiError:
        try:
            body = response.json()["error"]
            code, message = str(body.get("code", "unknown")), str(body.get("message", ""))
        except (ValueError, KeyError, TypeError, AttributeError):
            code, message = "unknown", response.text[:200]
        retry_after = response.headers.get("Retry-After")
        return cls(
            response.status_code,
            code,
            message,
            float(retry_after) if retry_after and retry_after.isdigit() else None,
        )


class HybridSessionsClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 120.0,
        retries: int = 3,
        backoff: float = 0.5,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self._http = session or requests.Session()
        self._http.headers["Authorization"] = f"Bearer {token}"

    # --- chat -----------------------------------------------------------------------------
    def chat(
        self,
        message: str,
        session_id: str | None = None,
        *,
        metadata: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        body = _drop_none({"message": message, "session_id": session_id, "metadata": metadata})
        key = idempotency_key or uuid.uuid4().hex
        return self._call(
            "POST", "/v1/chat", json=body, headers={"Idempotency-Key": key}, retry_safe=True
        )

    def chat_stream(
        self,
        message: str,
        session_id: str | None = None,
        *,
        metadata: Mapping[str, Any] | None = None,
    ) -> Iterator[ServerSentEvent]:
        """The reply as server-sent events, as the server sends them (not retried: a stream
        that broke half-way is the caller's to resume with `chat`)."""
        body = _drop_none(
            {"message": message, "session_id": session_id, "metadata": metadata, "stream": True}
        )
        response = self._http.post(
            self.base_url + "/v1/chat",
            json=body,
            headers={"Accept": "text/event-stream", "Idempotency-Key": uuid.uuid4().hex},
            stream=True,
            timeout=self.timeout,
        )
        with response:
            if response.status_code >= 400:
                raise ApiError.from_response(response)
            yield from parse_sse(response.iter_lines(decode_unicode=True))

    # --- sessions -------------------------------------------------------------------------
    def create_session(
        self, title: str | None = None, metadata: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        return self._call(
            "POST", "/v1/sessions", json=_drop_none({"title": title, "metadata": metadata})
        )

    def get_session(self, session_id: str) -> dict[str, Any]:
        return self._call("GET", f"/v1/sessions/{session_id}")

    def list_sessions(
        self,
        *,
        status: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> dict[str, Any]:
        params = _drop_none({"status": status, "page_size": page_size, "page_token": page_token})
        return self._call("GET", "/v1/sessions", params=params)

    def iter_sessions(self, *, status: str | None = None, page_size: int = 100) -> Iterator[dict]:
        yield from self._pages(
            lambda token: self.list_sessions(status=status, page_size=page_size, page_token=token),
            "sessions",
        )

    def update_session(self, session_id: str, **fields: Any) -> dict[str, Any]:
        return self._call("PATCH", f"/v1/sessions/{session_id}", json=_drop_none(fields))

    def delete_session(self, session_id: str) -> None:
        self._call("DELETE", f"/v1/sessions/{session_id}")

    def list_messages(
        self,
        session_id: str,
        *,
        order: str = "asc",
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> dict[str, Any]:
        params = _drop_none({"order": order, "page_size": page_size, "page_token": page_token})
        return self._call("GET", f"/v1/sessions/{session_id}/messages", params=params)

    def iter_messages(
        self, session_id: str, *, order: str = "asc", page_size: int = 200
    ) -> Iterator[dict]:
        yield from self._pages(
            lambda token: self.list_messages(
                session_id, order=order, page_size=page_size, page_token=token
            ),
            "messages",
        )

    def append_messages(self, session_id: str, messages: list[Mapping[str, Any]]) -> dict[str, Any]:
        return self._call(
            "POST", f"/v1/sessions/{session_id}/messages", json={"messages": list(messages)}
        )

    def erase_me(self) -> None:
        """Delete every session and message of the caller, and every copy of them."""
        self._call("DELETE", "/v1/users/me")

    # --- enhanced features ------------------------------------------------------------------
    def search(self, query: str, **filters: Any) -> dict[str, Any]:
        body = _drop_none({"query": query, **filters})
        return self._call("POST", "/v1/search", json=body, retry_safe=True)

    def similar_sessions(self, session_id: str, *, limit: int | None = None) -> dict[str, Any]:
        return self._call(
            "GET", f"/v1/sessions/{session_id}/similar", params=_drop_none({"limit": limit})
        )

    def analytics(self, **params: Any) -> dict[str, Any]:
        return self._call("GET", "/v1/analytics", params=_drop_none(params))

    def status(self) -> dict[str, Any]:
        return self._call("GET", "/v1/status")

    # --- plumbing ---------------------------------------------------------------------------
    def _pages(self, fetch: Any, key: str) -> Iterator[dict]:
        token: str | None = None
        while True:
            page = fetch(token)
            yield from page.get(key, [])
            token = page.get("next_page_token")
            if not token:
                return

    def _call(
        self, method: str, path: str, *, retry_safe: bool | None = None, **kwargs: Any
    ) -> Any:
        """One API call; retried only when repeating it cannot write twice."""
        retries = self.retries if (retry_safe or method in _IDEMPOTENT_METHODS) else 0
        attempt = 0
        while True:
            try:
                response = self._http.request(
                    method, self.base_url + path, timeout=self.timeout, **kwargs
                )
            except (requests.ConnectionError, requests.Timeout):
                if attempt >= retries:
                    raise
            else:
                if response.status_code < 400:
                    return response.json() if response.content else None
                error = ApiError.from_response(response)
                if response.status_code not in _RETRYABLE_STATUS or attempt >= retries:
                    raise error
                if error.retry_after and error.retry_after > self.backoff * 2**attempt * 4:
                    raise error  # the server asks for a longer pause than a client should block
            time.sleep(self.backoff * 2**attempt)
            attempt += 1


def _drop_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
