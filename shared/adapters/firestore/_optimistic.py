"""Optimistic writes with a deadline. Private to the Firestore adapter.

A write reads what it depends on, then commits with preconditions (the guard document's
`update_time`, `exists=False` on new documents); a commit whose preconditions fail changed
nothing, so it is simply tried again from a fresh read. No transaction, so no lock is held
while a request waits: on Firestore and Google's emulator, which lock what a transaction reads,
a hot session cannot make other writers time out on its locks.

Within one process, writers of the same session take turns on a local lock (held only for the
read-check-commit, never across the LLM call), so the instance's own requests do not collide;
across instances the preconditions decide. Every attempt, wait and RPC is bounded by the
deadline; past it the write gives up with `Unavailable(contention)` and a Retry-After.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from google.api_core import exceptions as gexc

from shared.domain.errors import Unavailable

T = TypeVar("T")

DEFAULT_BUDGET_S = 10.0
_MIN_RPC_TIMEOUT_S = 0.05

# The commit did not happen: its preconditions failed, a document it creates exists, or one
# it updates is gone (the fresh read then says why).
CONFLICTS = (gexc.FailedPrecondition, gexc.AlreadyExists, gexc.Aborted, gexc.NotFound)
# The commit may or may not have happened: the caller checks before trying again.
AMBIGUOUS = (
    gexc.ServiceUnavailable,
    gexc.DeadlineExceeded,
    gexc.InternalServerError,
    gexc.TooManyRequests,
)


class Deadline:
    def __init__(self, at: float | None, budget_s: float = DEFAULT_BUDGET_S) -> None:
        self.at = at if at is not None else time.monotonic() + budget_s

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def rpc_timeout(self) -> float:
        """The timeout of the next RPC: what is left, so no call outlives the deadline."""
        return max(self.remaining(), _MIN_RPC_TIMEOUT_S)

    def expired(self) -> bool:
        return self.remaining() <= 0


def contention() -> Unavailable:
    return Unavailable(
        "too many concurrent writes to this session; retry", code="contention", retry_after_s=1
    )


class KeyedLocks:
    """One lock per key (a session's path), dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    @contextmanager
    def hold(self, key: str, deadline: Deadline) -> Iterator[None]:
        with self._guard:
            lock, users = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, users + 1)
        try:
            if not lock.acquire(timeout=max(deadline.remaining(), 0)):
                raise contention()
            try:
                yield
            finally:
                lock.release()
        finally:
            with self._guard:
                lock, users = self._locks[key]
                if users == 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)


def until_deadline(attempt: Callable[[int], T], deadline: Deadline) -> T:
    """Call `attempt(n)` until it returns; it raises a `CONFLICTS` or `AMBIGUOUS` error to be
    called again (after a jittered backoff), anything else to stop."""
    delay = 0.005
    n = 0
    while True:
        try:
            return attempt(n)
        except CONFLICTS + AMBIGUOUS as exc:
            if deadline.remaining() <= delay:
                if isinstance(exc, CONFLICTS):
                    raise contention() from exc
                raise Unavailable(
                    f"Firestore unavailable: {exc}", code="storage_unavailable", retry_after_s=1
                ) from exc
        time.sleep(random.uniform(delay / 2, delay))
        delay = min(delay * 2, 0.25)
        n += 1
