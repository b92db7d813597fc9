"""The vector index port: datapoints keyed by message id, with filterable restricts."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class VectorRecord:
    """One message's vector; `id` is the message id, so upserting again replaces it."""

    id: str
    vector: Sequence[float]
    tenant_id: str
    user_id: str
    session_id: str
    role: str
    created_at: datetime
    model_id: str


@dataclass(frozen=True)
class VectorFilter:
    """Restricts of a search; `tenant_id` is mandatory so no query ever crosses tenants."""

    tenant_id: str
    user_id: str | None = None
    session_ids: Sequence[str] = ()
    roles: Sequence[str] = ()
    model_id: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@dataclass(frozen=True)
class Neighbor:
    id: str
    distance: float


class VectorIndex(ABC):
    """Adapters raise `Unavailable` for transient failures, `InvalidInput` for rejected data."""

    @abstractmethod
    def upsert(self, records: Sequence[VectorRecord]) -> None:
        """Insert or replace datapoints by id (a repeat is harmless)."""

    @abstractmethod
    def remove(self, ids: Sequence[str]) -> None:
        """Remove datapoints by id; ids that do not exist are ignored."""

    @abstractmethod
    def find_neighbors(
        self,
        vector: Sequence[float],
        *,
        where: VectorFilter,
        limit: int = 10,
        per_session: int | None = None,
    ) -> list[Neighbor]:
        """Nearest datapoints matching `where`, closest first; `per_session` caps how many
        come from one session (crowding)."""
