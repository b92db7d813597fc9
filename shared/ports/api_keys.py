"""The API key port: server-to-server credentials, stored only as hashes, bound to a tenant."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ApiKeyRecord:
    key_hash: str
    tenant_id: str
    user_id: str = field(metadata={"doc": "The service user the key acts as."})
    roles: frozenset[str] = frozenset()
    name: str = ""
    disabled: bool = False
    created_at: datetime | None = None


class ApiKeyStore(ABC):
    @abstractmethod
    def get(self, key_hash: str) -> ApiKeyRecord | None:
        """The record of a key hash, or None."""

    @abstractmethod
    def put(self, record: ApiKeyRecord) -> None:
        """Create or replace a record."""
