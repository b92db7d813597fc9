"""Pessimistic transaction locks, as Google's emulator (and Firestore's server clients) take them.

Off by default (`--transaction-locks optimistic`); `--transaction-locks pessimistic` turns it on.
Then a read-write transaction holds a shared lock on every document it reads and on the scope
of every query it runs (the collection, or the collection group below the parent) until it
ends. A write (committed in a transaction or not) needs every other transaction's lock on its
documents gone: it waits for them, at most `lock_timeout_s`, and then fails with ABORTED
"Transaction lock timeout." (the committing transaction ends). So, as on Google's emulator, two
transactions that read and then write one document wait for each other until one of them times
out, and a plain write to a document a transaction has read waits for that transaction.

Measured on Google's emulator (gcloud 528): shared read locks, a 2 s wait before the timeout,
an insert into a collection a transaction has queried waits too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

from .errors import aborted
from .paths import Path

DEFAULT_LOCK_TIMEOUT_S = 2.0
LOCK_TIMEOUT = "Transaction lock timeout."


class LockTable:
    """Shared locks of live transactions; waits on `cond`, whose lock is the state lock."""

    def __init__(self, cond: threading.Condition, timeout_s: float) -> None:
        self.cond = cond
        self.timeout_s = timeout_s
        self._docs: dict[tuple[str, Path], set[bytes]] = {}
        self._scopes: dict[bytes, tuple[str, list[Any]]] = {}
        self._held: dict[bytes, set[tuple[str, Path]]] = {}

    def lock_document(self, txn: bytes, db: str, path: Path) -> None:
        key = (db, path)
        self._docs.setdefault(key, set()).add(txn)
        self._held.setdefault(txn, set()).add(key)

    def lock_scope(self, txn: bytes, db: str, plan: Any) -> None:
        """Lock what the query `plan` (a `query.Plan`) reads: any document it `covers`."""
        self._scopes.setdefault(txn, (db, []))[1].append(plan)

    def release(self, txn: bytes) -> None:
        """Drop every lock of `txn` and wake the writers waiting (caller holds the lock)."""
        had = self._scopes.pop(txn, None) is not None
        for key in self._held.pop(txn, ()):
            had = True
            holders = self._docs.get(key)
            if holders is not None:
                holders.discard(txn)
                if not holders:
                    del self._docs[key]
        if had:
            self.cond.notify_all()

    def _blocked(self, txn: bytes | None, db: str, paths: list[Path]) -> bool:
        for path in paths:
            holders = self._docs.get((db, path))
            if holders and (holders - {txn} if txn else holders):
                return True
        for other, (scope_db, scopes) in self._scopes.items():
            if other != txn and scope_db == db:
                for path in paths:
                    if any(plan.covers(path) for plan in scopes):
                        return True
        return False

    def wait_writable(self, txn: bytes | None, db: str, paths: Iterable[Path]) -> None:
        """Wait (releasing the state lock) until no other transaction locks `paths`; ABORTED
        after the lock timeout. The caller holds the state lock."""
        wanted = list(paths)
        deadline = time.monotonic() + self.timeout_s
        while self._blocked(txn, db, wanted):
            left = deadline - time.monotonic()
            if left <= 0:
                raise aborted(LOCK_TIMEOUT)
            self.cond.wait(left)
