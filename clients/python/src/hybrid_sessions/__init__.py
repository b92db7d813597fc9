"""Python client of the hybrid-sessions API: conversation memory for LLM apps.

    from hybrid_sessions import ConversationAgent
    agent = ConversationAgent("https://api.example.com", token)
    agent.chat("Hello")

`HybridSessionsClient` (sync) and `AsyncHybridSessionsClient` have one method per route;
`ConversationAgent` keeps sessions for you. Wire types: `hybrid_sessions.models`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hybrid_sessions.agent import ConversationAgent
from hybrid_sessions.client import HybridSessionsClient
from hybrid_sessions.errors import ApiError
from hybrid_sessions.sse import ServerSentEvent
from hybrid_sessions.version import API_VERSION, __version__, is_compatible

if TYPE_CHECKING:
    from hybrid_sessions.async_client import AsyncHybridSessionsClient

__all__ = [
    "API_VERSION",
    "ApiError",
    "AsyncHybridSessionsClient",
    "ConversationAgent",
    "HybridSessionsClient",
    "ServerSentEvent",
    "__version__",
    "is_compatible",
]


def __getattr__(name: str) -> Any:
    # asyncio costs a sync app's cold start; the async client loads on first use.
    if name == "AsyncHybridSessionsClient":
        from hybrid_sessions.async_client import AsyncHybridSessionsClient

        return AsyncHybridSessionsClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
