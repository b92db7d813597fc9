"""httpx's own MockTransport answering from a script: unit tests of the client need no sockets."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from hybrid_sessions import AsyncHybridSessionsClient, HybridSessionsClient

BASE = "http://api.test"
Handler = Callable[[httpx.Request], tuple[int, Any, dict[str, str]]]


def transport(handler: Handler) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        status, body, headers = handler(request)
        if isinstance(body, bytes):
            return httpx.Response(status, content=body, headers=headers)
        if body is None:
            return httpx.Response(status, headers=headers)
        headers = {"Content-Type": "application/json", **headers}
        return httpx.Response(status, content=json.dumps(body).encode(), headers=headers)

    return httpx.MockTransport(answer), sent


def sync_client(handler: Handler, **kw: Any) -> tuple[HybridSessionsClient, list[httpx.Request]]:
    mock, sent = transport(handler)
    client = HybridSessionsClient(
        BASE, "dev:alice", http_client=httpx.Client(transport=mock), backoff=0, **kw
    )
    return client, sent


def async_client(
    handler: Handler, **kw: Any
) -> tuple[AsyncHybridSessionsClient, list[httpx.Request]]:
    mock, sent = transport(handler)
    client = AsyncHybridSessionsClient(
        BASE, "dev:alice", http_client=httpx.AsyncClient(transport=mock), backoff=0, **kw
    )
    return client, sent


def body(request: httpx.Request) -> Any:
    return json.loads(request.content)
