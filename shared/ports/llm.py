"""The LLM port: what the chat service needs from a model, whichever provider serves it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class ChatTurn:
    role: Literal["user", "assistant", "system"]
    content: str


@dataclass(frozen=True)
class Completion:
    text: str
    model: str
    input_tokens: int
    output_tokens: int
    latency_ms: float


class LLMProvider(ABC):
    """Adapters raise `shared.domain.errors.Unavailable` for transient failures (timeouts,
    429/5xx) and `UpstreamError` for answers retrying will not fix; nothing else escapes."""

    model: str

    @abstractmethod
    def complete(self, turns: Sequence[ChatTurn], *, system: str | None = None) -> Completion:
        """One reply to the conversation `turns` (oldest first, last one the user's)."""

    @abstractmethod
    def stream(
        self, turns: Sequence[ChatTurn], *, system: str | None = None
    ) -> Iterator[str | Completion]:
        """Text deltas as they arrive; the last item is the full `Completion`."""

    def estimate_tokens(self, text: str) -> int:
        """Cheap local estimate (about 4 characters a token) used to fit the context budget
        without a network call per message."""
        return max(1, (len(text) + 3) // 4)
