"""A deterministic fake LLM that counts its calls and can fail on demand."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

from shared.domain.errors import HybridSessionsError
from shared.ports.llm import ChatTurn, Completion, LLMProvider


class InMemoryLLM(LLMProvider):
    def __init__(self, model: str = "memory-echo") -> None:
        self.model = model
        self.calls: list[list[ChatTurn]] = []
        self.fail_with: HybridSessionsError | None = None
        self._lock = threading.Lock()

    def reply_to(self, turns: Sequence[ChatTurn]) -> str:
        return f"echo[{len(turns)}]: {turns[-1].content}"

    def complete(self, turns: Sequence[ChatTurn], *, system: str | None = None) -> Completion:
        with self._lock:
            self.calls.append(list(turns))
        if self.fail_with is not None:
            raise self.fail_with
        return self._completion(turns)

    def stream(
        self, turns: Sequence[ChatTurn], *, system: str | None = None
    ) -> Iterator[str | Completion]:
        with self._lock:
            self.calls.append(list(turns))
        if self.fail_with is not None:
            raise self.fail_with
        text = self.reply_to(turns)
        for start in range(0, len(text), 8):
            yield text[start : start + 8]
        yield self._completion(turns)

    def _completion(self, turns: Sequence[ChatTurn]) -> Completion:
        text = self.reply_to(turns)
        return Completion(
            text=text,
            model=self.model,
            input_tokens=sum(self.estimate_tokens(t.content) for t in turns),
            output_tokens=self.estimate_tokens(text),
            latency_ms=1.0,
        )
