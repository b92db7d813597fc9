"""How long sessions and messages live, for the Firestore adapter. Private to it.

Expiry is computed from times every document already has (a session's `updated_at`, a
message's `created_at`), so reads agree with the setting even for documents written before it
was turned on. `expires_at` is written only for Firestore's TTL policy, which deletes the
document some time (typically within 24 h) after it passes.

`expires_at` is a day later than the expiry, for sessions and messages alike: the reconciler
deletes an idle session, or announces and deletes expired messages, first, with the event that
makes ingest remove their copies (TTL deletions emit none); the TTL policy is the backstop for
when it does not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

TTL_GRACE = timedelta(days=1)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Retention:
    days: int | None = None
    clock: Callable[[], datetime] = utc_now

    def expires_at(self, start: datetime, grace: timedelta = timedelta(0)) -> datetime | None:
        return None if self.days is None else start + timedelta(days=self.days) + grace

    def cutoff(self) -> datetime | None:
        """Data that started at or before this instant has expired; None = nothing expires."""
        return None if self.days is None else self.clock() - timedelta(days=self.days)

    def stamp(
        self, doc: dict[str, Any], start: datetime, grace: timedelta = timedelta(0)
    ) -> dict[str, Any]:
        """`doc` with the TTL field set (unchanged when nothing expires)."""
        if self.days is None:
            return doc
        return {**doc, "expires_at": self.expires_at(start, grace)}


def alive(start: datetime, cutoff: datetime | None) -> bool:
    """Whether data that started at `start` is still live at `cutoff` (from `Retention.cutoff`)."""
    return cutoff is None or start > cutoff
