"""The analytics port: the append-only copy of messages and sessions that SQL analytics reads.

Writes are idempotent: every row carries a stable insert id (the message id, the event id), and
the views deduplicate on it, so a redelivered event never shows twice. Erasure is two steps that
adapters must keep in this order: a ledger entry that hides the data from every view at once,
then the physical delete, which may have to wait (BigQuery refuses DML on freshly streamed rows)
and then raises `Unavailable` so the event is redelivered until the delete goes through.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from shared.domain.events import MessageData, SessionData


@dataclass(frozen=True)
class MessageRecord:
    """One message as analytics stores it; `message.message_id` is the insert id."""

    tenant_id: str
    user_id: str
    event_id: str
    message: MessageData
    embedding_model: str | None = None
    """Model id of the message's vector; None when the message is not indexed."""


@dataclass(frozen=True)
class SessionRecord:
    """One state of a session (created, updated, archived); `event_id` is the insert id."""

    tenant_id: str
    user_id: str
    event_id: str
    change: Literal["created", "updated", "archived"]
    occurred_at: datetime
    session: SessionData


@dataclass(frozen=True)
class Erasure:
    """What must disappear: one session (`session_id` set) or everything of one user.

    A user erasure covers rows created up to `erased_at` only, so a user id that comes back
    later starts clean instead of being hidden for ever.
    """

    event_id: str
    tenant_id: str
    user_id: str
    erased_at: datetime
    session_id: str | None = None


class AnalyticsSink(ABC):
    """Adapters raise `Unavailable` for anything worth retrying and `InvalidInput` for rows the
    store rejects; nothing else escapes."""

    @abstractmethod
    def write_messages(self, records: Sequence[MessageRecord]) -> None:
        """Append message rows, insert id = message id (a repeat is harmless)."""

    @abstractmethod
    def write_sessions(self, records: Sequence[SessionRecord]) -> None:
        """Append session rows, insert id = event id (a repeat is harmless)."""

    @abstractmethod
    def record_erasure(self, erasure: Erasure) -> None:
        """Add the ledger entry that hides the erased data from every view, immediately."""

    @abstractmethod
    def message_ids(self, erasure: Erasure) -> list[str]:
        """Ids of the stored message rows `erasure` covers (to find their other copies)."""

    @abstractmethod
    def purge(self, erasure: Erasure) -> None:
        """Physically delete the erased rows; `Unavailable` while the store cannot yet."""
