"""Erasure tombstones: what was deleted, kept long enough that no late event brings it back.

A tombstone names a deleted session, or an erased user (every message created up to the
erasure). Every consumer of events checks them before it writes a copy (a BigQuery row, a
vector), so a `MessageCreated` redelivered by Pub/Sub or replayed from the dead-letter
subscription after the deletion recreates nothing. They expire (`expires_at`, a Firestore TTL
field) once no such event can still arrive: Pub/Sub's longest retention plus the dead-letter
replay window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Tombstone:
    """`session_id` None: the whole user, for messages created at or before `erased_at`."""

    tenant_id: str
    user_id: str
    session_id: str | None
    erased_at: datetime
    expires_at: datetime

    def covers(self, session_id: str, created_at: datetime) -> bool:
        if self.session_id is not None:
            return self.session_id == session_id
        return created_at <= self.erased_at


@dataclass(frozen=True)
class Grave:
    """Where a message's tombstones would be: its session's and its user's."""

    tenant_id: str
    user_id: str
    session_id: str


class Tombstones(Protocol):
    def bury(self, tombstone: Tombstone) -> None:
        """Store (or keep the later of) a tombstone; idempotent."""
        ...

    def find(self, graves: Sequence[Grave]) -> list[Tombstone]:
        """Every tombstone of those sessions and users, in one read."""
        ...
