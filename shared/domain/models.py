"""Sessions, messages, callers and the bodies of the public API, as pydantic models.

Request bodies are strict (`extra='forbid'`, no type coercion), so an unknown field or a wrong
type is a 400 and never a silent guess. Limits that depend on configuration (message length,
metadata size, page sizes) are checked by `Limits`, which the services hold.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.domain import ids, validation
from shared.domain.errors import Conflict, ErrorCode, InvalidInput
from shared.domain.events import MessageData, MessageRole, SessionData

SessionStatus = Literal["active", "archived"]
Order = Literal["asc", "desc"]

T = TypeVar("T")


class Caller(BaseModel):
    """Who is calling, from verified credentials only (never from a request body)."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    user_id: str
    roles: frozenset[str] = frozenset()
    auth_method: Literal["firebase", "api_key", "dev"] = "firebase"


class Session(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_id: str
    tenant_id: str = Field(exclude=True)
    user_id: str
    title: str | None = None
    status: SessionStatus = "active"
    metadata: dict[str, Any] = Field(default_factory=dict)
    message_count: int = Field(0, ge=0, description="Exact; also the next message's seq.")
    created_at: datetime
    updated_at: datetime
    version: int = Field(0, ge=0, exclude=True, description="Bumped by every update event.")

    def data(self) -> SessionData:
        """The session as events carry it."""
        return SessionData(
            session_id=self.session_id,
            title=self.title,
            status=self.status,
            metadata=self.metadata,
            message_count=self.message_count,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )

    def check_writable(self) -> None:
        """Messages go only to active sessions: an archived one is read-only."""
        if self.status != "active":
            raise Conflict("the session is archived", code=ErrorCode.SESSION_ARCHIVED)


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message_id: str
    session_id: str
    tenant_id: str = Field(exclude=True)
    user_id: str = Field(exclude=True)
    seq: int = Field(ge=0)
    role: MessageRole
    content: str
    created_at: datetime
    metadata: dict[str, Any] = Field(default_factory=dict)
    model: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    latency_ms: float | None = None
    published: bool = Field(False, exclude=True, description="Its event reached Pub/Sub.")

    def data(self) -> MessageData:
        """The message as its `MessageCreated` event carries it."""
        return MessageData(
            **self.model_dump(exclude={"tenant_id", "user_id", "published"}),
        )


@dataclass(frozen=True)
class NewMessage:
    """A message before the store gives it a sequence number."""

    role: MessageRole
    content: str
    created_at: datetime
    metadata: dict[str, Any]
    model: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    latency_ms: float | None = None

    def stored(self, tenant_id: str, user_id: str, session_id: str, seq: int) -> Message:
        """The message as a store keeps it: number `seq` of the session, its id derived."""
        return Message(
            message_id=ids.message_id(session_id, seq),
            session_id=session_id,
            tenant_id=tenant_id,
            user_id=user_id,
            seq=seq,
            role=self.role,
            content=self.content,
            created_at=self.created_at,
            metadata=self.metadata,
            model=self.model,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            latency_ms=self.latency_ms,
        )


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_page_token: str | None


# --- request bodies ---------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ChatRequest(_Body):
    message: str
    session_id: str | None = None
    stream: bool = False
    metadata: dict[str, Any] = Field(default_factory=dict)


class CreateSession(_Body):
    title: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class UpdateSession(_Body):
    title: str | None = None
    status: SessionStatus | None = None
    metadata: dict[str, Any] | None = Field(None, description="Replaces the whole object.")

    @field_validator("status", "metadata", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Only the title can be cleared; a null status or metadata is a client bug, not "unset".
        if value is None:
            raise ValueError("cannot be null")
        return value

    def changes(self) -> dict[str, Any]:
        """Only the fields the client sent (a title may be cleared with null)."""
        return self.model_dump(include=self.model_fields_set)


class MessageIn(_Body):
    role: MessageRole
    content: str
    metadata: dict[str, Any] = Field(default_factory=dict)


class AppendMessages(_Body):
    messages: list[MessageIn]


# --- limits -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """Configurable limits; `from_settings` reads them from `shared.config.Settings`."""

    max_message_chars: int = 32_000
    max_metadata_bytes: int = 16_384
    max_title_chars: int = 200
    max_append_messages: int = 250
    default_page_size: int = 50
    max_page_size: int = 1000
    context_max_messages: int = 20
    context_token_budget: int = 8_000

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        return cls(**{name: getattr(settings, name) for name in cls.__dataclass_fields__})

    def check_content(self, content: str, field: str = "message") -> None:
        if not content.strip():
            raise InvalidInput(f"{field} is empty", code="empty_message")
        if len(content) > self.max_message_chars:
            raise InvalidInput(
                f"{field} has {len(content)} characters; the limit is {self.max_message_chars}",
                code="message_too_long",
            )

    def check_metadata(self, metadata: dict[str, Any] | None) -> None:
        if metadata is None:
            return
        validation.check_metadata(metadata)
        size = len(json.dumps(metadata, separators=(",", ":"), ensure_ascii=False).encode())
        if size > self.max_metadata_bytes:
            raise InvalidInput(
                f"metadata is {size} bytes; the limit is {self.max_metadata_bytes}",
                code="metadata_too_large",
            )

    def check_title(self, title: str | None) -> None:
        if title is not None and len(title) > self.max_title_chars:
            raise InvalidInput(
                f"title has {len(title)} characters; the limit is {self.max_title_chars}",
                code="title_too_long",
            )

    def page_size(self, requested: int | None) -> int:
        if requested is None:
            return self.default_page_size
        if not 1 <= requested <= self.max_page_size:
            raise InvalidInput(
                f"page_size must be between 1 and {self.max_page_size}", code="invalid_page_size"
            )
        return requested
