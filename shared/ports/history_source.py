"""The history port of the backfill: every stored session, in a stable resumable order, and its
messages in pages. Read-only; the session store serves the API, this serves bulk copies."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass

from shared.domain.models import Message, Session


@dataclass(frozen=True)
class ScannedSession:
    """A session and the cursor that resumes a scan right after it."""

    cursor: str
    session: Session


class HistorySource(ABC):
    @abstractmethod
    def scan_sessions(
        self, *, tenant_id: str | None, after: str | None, limit: int
    ) -> list[ScannedSession]:
        """Up to `limit` sessions after cursor `after` (None: from the start), of one tenant or
        of all tenants, in an order that sessions created during the scan do not disturb."""

    @abstractmethod
    def messages(self, session: Session, *, page_size: int) -> Iterator[list[Message]]:
        """The session's messages by seq, one page per item."""
