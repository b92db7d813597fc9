"""What the sync and async clients share: auth, headers, the retry policy, answer decoding, and
the descriptors that turn a route of `_routes` into a client method with the route's
signature.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator, Mapping
from functools import update_wrapper
from typing import Any, Generic, ParamSpec, TypeVar, cast, overload

import httpx

from hybrid_sessions._routes import Call
from hybrid_sessions.errors import ApiError
from hybrid_sessions.version import API_VERSION, __version__

P = ParamSpec("P")
T = TypeVar("T")
PageT = TypeVar("PageT", bound=Mapping[str, Any])
ItemT = TypeVar("ItemT")

Token = str | Callable[[], str]
"""A bearer credential, or a function returning a fresh one per request (ID tokens expire)."""

RETRYABLE_STATUS = frozenset({429, 502, 503, 504})
USER_AGENT = f"hybrid-sessions-python/{__version__} (api {API_VERSION})"
DEFAULT_TIMEOUT = httpx.Timeout(120.0, connect=10.0)
"""An LLM turn takes seconds to a minute; connecting should not."""


class ClientBase:
    def __init__(
        self, base_url: str, token: Token, *, retries: int = 3, backoff: float = 0.5
    ) -> None:
        if not base_url:
            raise ValueError("base_url is empty")
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self.backoff = backoff
        self._token = token

    def _request(self, http: httpx.Client | httpx.AsyncClient, call: Call[Any]) -> httpx.Request:
        token = self._token() if callable(self._token) else self._token
        headers = {"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT, **call.headers}
        url = self.base_url + call.path
        return http.build_request(
            call.method, url, params=call.params, json=call.json, headers=headers
        )

    def _delay(self, call: Call[Any], attempt: int, error: ApiError | None) -> float | None:
        """Seconds to wait before trying `call` again, or None to give up. `error` is None
        when no answer came (a connection error or a timeout)."""
        if not call.repeatable or attempt >= self.retries:
            return None
        if error is not None and error.status not in RETRYABLE_STATUS:
            return None
        wait = self.backoff * 2.0**attempt
        if error is not None and error.retry_after and error.retry_after > wait * 4:
            return None  # the server asks for a longer pause than a client should block for
        return wait


def decode(response: httpx.Response, call: Call[T]) -> T:
    """The JSON answer of a successful call (None when empty), or the ApiError it is."""
    if response.status_code >= 400:
        raise ApiError.from_response(response)
    return cast(T, response.json() if response.content else None)


def pages(
    fetch: Callable[[str | None], PageT], items: Callable[[PageT], list[ItemT]]
) -> Iterator[ItemT]:
    token: str | None = None
    while True:
        page = fetch(token)
        yield from items(page)
        token = page.get("next_page_token")
        if not token:
            return


class SyncOperation(Generic[P, T]):
    """A client method made from a route: `chat = SyncOperation(_routes.chat)` gives the client
    a `chat` with the route's parameters and docstring that sends the route's call through the
    client's `_send` and returns the answer."""

    def __init__(self, route: Callable[P, Call[T]]) -> None:
        self.route = route
        self.__doc__ = route.__doc__

    @overload
    def __get__(self, client: None, owner: type[Any]) -> SyncOperation[P, T]: ...
    @overload
    def __get__(self, client: Any, owner: type[Any]) -> Callable[P, T]: ...
    def __get__(self, client: Any, owner: type[Any]) -> SyncOperation[P, T] | Callable[P, T]:
        if client is None:
            return self
        route, send = self.route, client._send

        def method(*args: P.args, **kwargs: P.kwargs) -> T:
            return cast(T, send(route(*args, **kwargs)))

        return update_wrapper(method, route)


class AsyncOperation(Generic[P, T]):
    """`SyncOperation` for the async client: the method is a coroutine function."""

    def __init__(self, route: Callable[P, Call[T]]) -> None:
        self.route = route
        self.__doc__ = route.__doc__

    @overload
    def __get__(self, client: None, owner: type[Any]) -> AsyncOperation[P, T]: ...
    @overload
    def __get__(self, client: Any, owner: type[Any]) -> Callable[P, Coroutine[Any, Any, T]]: ...
    def __get__(
        self, client: Any, owner: type[Any]
    ) -> AsyncOperation[P, T] | Callable[P, Coroutine[Any, Any, T]]:
        if client is None:
            return self
        route, send = self.route, client._send

        async def method(*args: P.args, **kwargs: P.kwargs) -> T:
            return cast(T, await send(route(*args, **kwargs)))

        return update_wrapper(method, route)
