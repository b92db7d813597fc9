"""A raw StreamingPull call of the generated client, for tests of the stream itself."""

from __future__ import annotations

import queue
import threading

import google.cloud.pubsub_v1 as pubsub_v1
from google.pubsub_v1 import types


class RawStream:
    """A StreamingPull call of the generated client, fed from a queue; responses to a queue."""

    def __init__(self, subscriber: pubsub_v1.SubscriberClient, **first: object) -> None:
        self._requests: queue.Queue[types.StreamingPullRequest | None] = queue.Queue()
        self._requests.put(types.StreamingPullRequest(**first))
        self._responses: queue.Queue[types.StreamingPullResponse | Exception] = queue.Queue()

        def requests():
            while (req := self._requests.get()) is not None:
                yield req

        self._call = subscriber.streaming_pull(requests=requests(), timeout=60)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for resp in self._call:
                self._responses.put(resp)
        except Exception as exc:
            self._responses.put(exc)

    def send(self, **fields: object) -> None:
        self._requests.put(types.StreamingPullRequest(**fields))

    def receive(self, timeout: float = 5.0) -> list:
        """The messages of the next response (raises what the stream ended with)."""
        item = self._responses.get(timeout=timeout)
        if isinstance(item, Exception):
            raise item
        return list(item.received_messages)

    def nothing_within(self, seconds: float) -> bool:
        try:
            item = self._responses.get(timeout=seconds)
        except queue.Empty:
            return True
        self._responses.put(item)
        return False

    def close(self) -> None:
        self._requests.put(None)
        self._call.cancel()  # type: ignore[attr-defined]  # a gRPC call: the client annotates it as only an iterable
