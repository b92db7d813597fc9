"""`Tombstones` in memory, for unit tests."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from shared.ports.tombstones import Grave, Tombstone, Tombstones


class InMemoryTombstones(Tombstones):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.stones: dict[tuple[str, str, str | None], Tombstone] = {}

    def bury(self, tombstone: Tombstone) -> None:
        key = (tombstone.tenant_id, tombstone.user_id, tombstone.session_id)
        with self._lock:
            old = self.stones.get(key)
            if old is None or old.erased_at < tombstone.erased_at:
                self.stones[key] = tombstone

    def find(self, graves: Sequence[Grave]) -> list[Tombstone]:
        keys: set[tuple[str, str, str | None]] = set()
        for g in graves:
            keys |= {(g.tenant_id, g.user_id, g.session_id), (g.tenant_id, g.user_id, None)}
        with self._lock:
            return [self.stones[k] for k in keys if k in self.stones]
