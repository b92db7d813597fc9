"""Server-sent events of the streaming chat (the WHATWG event-stream format), decoded line by
line so the sync and the async client share one parser."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ServerSentEvent:
    event: str
    data: str

    def json(self) -> Any:
        return json.loads(self.data)


@dataclass
class SseDecoder:
    """Feed it decoded lines; it returns an event when a blank line ends one."""

    _event: str = "message"
    _data: list[str] = field(default_factory=list)

    def feed(self, raw: str) -> ServerSentEvent | None:
        line = raw.rstrip("\r\n")
        if not line:
            return self.flush()
        if line.startswith(":"):  # a comment (keep-alive)
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        return None

    def flush(self) -> ServerSentEvent | None:
        """The event in progress, if it has data (the stream ended without a blank line)."""
        event = ServerSentEvent(self._event, "\n".join(self._data)) if self._data else None
        self._event, self._data = "message", []
        return event


def parse_sse(lines: Iterable[str]) -> Iterator[ServerSentEvent]:
    decoder = SseDecoder()
    for line in lines:
        event = decoder.feed(line)
        if event is not None:
            yield event
    last = decoder.flush()
    if last is not None:
        yield last
