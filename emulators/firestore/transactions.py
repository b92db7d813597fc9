"""Transactions with optimistic concurrency control.

Production Firestore locks what a read-write transaction reads (pessimistically) and aborts
one of two conflicting transactions. Here reads take no locks: a read-write transaction
records the version (time of last change) of every document it reads and the results of every
query it runs, and `Commit` fails with ABORTED when any of them changed in between (a query is
run again at commit time and must return the same documents at the same versions). So two
transactions that read and write the same document cannot both commit: the second one to
commit is aborted and the client retries it. A non-transactional write to a document a
transaction has read does not wait for that transaction (production would make it wait); the
transaction is aborted instead. With a `LockTable` (`--transaction-locks pessimistic`, see
`locks.py`) reads lock as on Google's emulator, and writers wait for those locks.

Read-only transactions read a consistent snapshot as of their start (or `read_time`) and
cannot write. Unknown, finished or expired transaction ids are INVALID_ARGUMENT, except that
rolling back a finished transaction succeeds (clients roll back after a failed commit).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

from .errors import aborted, invalid
from .locks import LockTable
from .paths import Path
from .store import Database, ts_to_us

MAX_LIFETIME_S = 270.0
MAX_IDLE_S = 60.0
CONTENTION = (
    "Aborted due to cross-transaction contention. This occurs when multiple transactions "
    "attempt to access the same data, requiring Firestore to abort at least one in order to "
    "enforce serializability."
)


@dataclass
class Txn:
    id: bytes
    database: str
    read_only: bool
    read_us: int | None  # snapshot time of a read-only transaction
    started: float
    last_used: float
    reads: dict[Path, int] = field(default_factory=dict)
    queries: list[tuple[Any, list[tuple[str, int]]]] = field(default_factory=list)


class Transactions:
    def __init__(
        self,
        max_lifetime_s: float = MAX_LIFETIME_S,
        max_idle_s: float = MAX_IDLE_S,
        locks: LockTable | None = None,
    ) -> None:
        self.locks = locks
        self._live: dict[bytes, Txn] = {}
        # ids of finished transactions, so that the Rollback a client sends after a failed
        # Commit succeeds (as on Firestore) instead of failing with INVALID_ARGUMENT
        self._ended: dict[bytes, None] = {}
        self.max_lifetime_s = max_lifetime_s
        self.max_idle_s = max_idle_s

    def begin(self, db: Database, options: Any | None) -> Txn:
        self._expire()
        read_only = options is not None and options.WhichOneof("mode") == "read_only"
        read_us = None
        if options is not None and read_only:
            ro = options.read_only
            if ro.HasField("read_time"):
                read_us = ts_to_us(ro.read_time)
            else:
                read_us = max(time.time_ns() // 1000, db.last_commit_us)
        now = time.monotonic()
        txn = Txn(os.urandom(16), db.name, read_only, read_us, now, now)
        self._live[txn.id] = txn
        return txn

    def get(self, db: Database, tid: bytes) -> Txn:
        self._expire()
        txn = self._live.get(tid)
        if txn is None or txn.database != db.name:
            raise invalid("Transaction is invalid or closed (unknown, finished or expired).")
        txn.last_used = time.monotonic()
        return txn

    def end(self, txn: Txn) -> None:
        if self.locks is not None:
            self.locks.release(txn.id)
        self._live.pop(txn.id, None)
        self._ended[txn.id] = None
        if len(self._ended) > 10_000:
            del self._ended[next(iter(self._ended))]

    def rollback(self, db: Database, tid: bytes) -> None:
        if tid in self._ended and tid not in self._live:
            return
        self.end(self.get(db, tid))

    def _expire(self) -> None:
        now = time.monotonic()
        for t in list(self._live.values()):
            if now - t.started > self.max_lifetime_s or now - t.last_used > self.max_idle_s:
                self.end(t)

    def __len__(self) -> int:
        return len(self._live)

    def record_read(self, txn: Txn | None, db: Database, path: Path) -> None:
        if txn is not None and not txn.read_only and path not in txn.reads:
            txn.reads[path] = db.version(path)
            if self.locks is not None:
                self.locks.lock_document(txn.id, db.name, path)

    def record_query(self, txn: Txn | None, plan: Any, docs: list) -> None:
        if txn is not None and not txn.read_only:
            txn.queries.append((plan, [(d.name, d.update_us) for d in docs]))
            if self.locks is not None:
                self.locks.lock_scope(txn.id, txn.database, plan)

    @staticmethod
    def validate(txn: Txn, db: Database, rerun: Any) -> None:
        """ABORTED unless everything `txn` read is unchanged; `rerun(plan)` runs a query now."""
        for path, version in txn.reads.items():
            if db.version(path) != version:
                raise aborted(CONTENTION)
        for plan, seen in txn.queries:
            now = [(d.name, d.update_us) for d in rerun(plan)]
            if now != seen:
                raise aborted(CONTENTION)
