"""Events published on the messages topic: the contract between the HTTP functions and ingest.

One Pub/Sub message carries one event as JSON in `data`; its attributes repeat `event_type`,
`event_id`, `tenant_id` and `schema_version` so subscribers can filter without parsing. The
ordering key is the session id, so one session's events arrive in order where ordering is on.
Every later copy (BigQuery rows, vectors) is keyed by `message_id` / `event_id`, which are
deterministic, so redelivery and republishing never create duplicates anyone can see.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1"
MAX_EXPIRED_IDS = 500
"""Message ids one `MessagesExpired` carries at most (a reconciler batch is at most 500)."""

MessageRole = Literal["user", "assistant", "system", "tool"]


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: str = SCHEMA_VERSION
    event_id: str = Field(description="Deterministic id; the dedup key of this event's copies.")
    tenant_id: str
    user_id: str
    occurred_at: datetime = Field(description="When the change happened (UTC).")


class MessageData(BaseModel):
    """A stored message as the event carries it (mirrors the Firestore document)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    message_id: str
    session_id: str
    seq: int = Field(ge=0, description="Per-session sequence number, gap-free from 0.")
    role: MessageRole
    content: str
    created_at: datetime
    metadata: dict[str, Any] = Field(default_factory=dict)
    model: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    latency_ms: float | None = None


class MessageCreated(_Event):
    event_type: Literal["message.created"] = "message.created"
    message: MessageData


class SessionData(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    session_id: str
    title: str | None = None
    status: Literal["active", "archived"] = "active"
    metadata: dict[str, Any] = Field(default_factory=dict)
    message_count: int = 0
    created_at: datetime
    updated_at: datetime


class SessionChanged(_Event):
    """Created, renamed, archived or otherwise updated: `change` says which."""

    event_type: Literal["session.changed"] = "session.changed"
    change: Literal["created", "updated", "archived", "deleted"]
    session: SessionData


class UserErased(_Event):
    """Every copy of the user's data must go: BigQuery rows and vectors of all their sessions."""

    event_type: Literal["user.erased"] = "user.erased"


class MessagesExpired(_Event):
    """Messages of one session that passed the retention and were deleted from Firestore while
    the session lives on: their vectors must go too (their BigQuery rows go with their
    partitions)."""

    event_type: Literal["messages.expired"] = "messages.expired"
    session_id: str
    message_ids: list[str] = Field(min_length=1, max_length=MAX_EXPIRED_IDS)


Event = Annotated[
    MessageCreated | SessionChanged | UserErased | MessagesExpired,
    Field(discriminator="event_type"),
]
