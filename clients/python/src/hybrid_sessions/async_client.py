"""AsyncHybridSessionsClient: the same routes, retries and answers as `HybridSessionsClient`,
for asyncio apps (and the ADK, LangChain and MCP adapters, which are async), over
`httpx.AsyncClient`. Imported on first use, so `import hybrid_sessions` stays light."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx

from hybrid_sessions import _routes
from hybrid_sessions._base import (
    DEFAULT_TIMEOUT,
    AsyncOperation,
    ClientBase,
    ItemT,
    PageT,
    Token,
    decode,
)
from hybrid_sessions._routes import Call, T
from hybrid_sessions.errors import ApiError
from hybrid_sessions.models import Message, Session, SessionStatus
from hybrid_sessions.sse import ServerSentEvent, SseDecoder


class AsyncHybridSessionsClient(ClientBase):
    """`async with AsyncHybridSessionsClient(base_url, token) as client: await client.chat(...)`"""

    def __init__(
        self,
        base_url: str,
        token: Token,
        *,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retries: int = 3,
        backoff: float = 0.5,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(base_url, token, retries=retries, backoff=backoff)
        self._http = http_client or httpx.AsyncClient(timeout=timeout)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncHybridSessionsClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    chat = AsyncOperation(_routes.chat)
    create_session = AsyncOperation(_routes.create_session)
    get_session = AsyncOperation(_routes.get_session)
    list_sessions = AsyncOperation(_routes.list_sessions)
    update_session = AsyncOperation(_routes.update_session)
    delete_session = AsyncOperation(_routes.delete_session)
    list_messages = AsyncOperation(_routes.list_messages)
    append_messages = AsyncOperation(_routes.append_messages)
    erase_me = AsyncOperation(_routes.erase_me)
    search = AsyncOperation(_routes.search)
    similar_sessions = AsyncOperation(_routes.similar_sessions)
    analytics = AsyncOperation(_routes.analytics)
    status = AsyncOperation(_routes.status)

    def iter_sessions(
        self, *, status: SessionStatus | None = None, page_size: int = 100
    ) -> AsyncIterator[Session]:
        return _pages(
            lambda token: self.list_sessions(status=status, page_size=page_size, page_token=token),
            lambda page: page["sessions"],
        )

    def iter_messages(
        self, session_id: str, *, order: str = "asc", page_size: int = 200
    ) -> AsyncIterator[Message]:
        return _pages(
            lambda token: self.list_messages(
                session_id, order=order, page_size=page_size, page_token=token
            ),
            lambda page: page["messages"],
        )

    async def chat_stream(
        self, message: str, session_id: str | None = None, **options: Any
    ) -> AsyncIterator[ServerSentEvent]:
        """As `HybridSessionsClient.chat_stream`, as an async iterator."""
        request = self._request(self._http, _routes.chat_stream(message, session_id, **options))
        response = await self._http.send(request, stream=True)
        try:
            if response.status_code >= 400:
                await response.aread()
                raise ApiError.from_response(response)
            decoder = SseDecoder()
            async for line in response.aiter_lines():
                event = decoder.feed(line)
                if event is not None:
                    yield event
            last = decoder.flush()
            if last is not None:
                yield last
        finally:
            await response.aclose()

    async def _send(self, call: Call[T]) -> T:
        attempt = 0
        while True:
            try:
                return decode(await self._http.send(self._request(self._http, call)), call)
            except (httpx.TransportError, ApiError) as exc:
                delay = self._delay(call, attempt, exc if isinstance(exc, ApiError) else None)
                if delay is None:
                    raise
            await asyncio.sleep(delay)
            attempt += 1


async def _pages(
    fetch: Callable[[str | None], Awaitable[PageT]], items: Callable[[PageT], list[ItemT]]
) -> AsyncIterator[ItemT]:
    token: str | None = None
    while True:
        page = await fetch(token)
        for item in items(page):
            yield item
        token = page.get("next_page_token")
        if not token:
            return
