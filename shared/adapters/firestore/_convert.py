"""Documents <-> domain models. Private to the Firestore adapter."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter

from shared.domain.events import Event
from shared.domain.models import Message, Session
from shared.ports.session_store import OutboxItem, SessionKey

if TYPE_CHECKING:
    from google.cloud.firestore_v1.base_document import DocumentSnapshot
    from google.cloud.firestore_v1.document import DocumentReference


def fields(snapshot: DocumentSnapshot[DocumentReference]) -> dict[str, Any]:
    """The fields of a document read as existing (a query result, an `exists`-checked read)."""
    doc = snapshot.to_dict()
    if doc is None:
        raise LookupError(f"{snapshot.reference.path} was read as existing but is missing")
    return doc


_EVENT = TypeAdapter(Event)

_SESSION_FIELDS = (
    "session_id",
    "tenant_id",
    "user_id",
    "title",
    "status",
    "metadata",
    "message_count",
    "created_at",
    "updated_at",
    "version",
)


def session_to_doc(session: Session) -> dict[str, Any]:
    return {name: getattr(session, name) for name in _SESSION_FIELDS}


def session_from_doc(doc: dict[str, Any]) -> Session:
    return Session.model_validate({name: doc.get(name) for name in _SESSION_FIELDS if name in doc})


def message_to_doc(message: Message) -> dict[str, Any]:
    doc = message.model_dump()
    doc.update(tenant_id=message.tenant_id, user_id=message.user_id, published=message.published)
    return doc


def message_from_doc(doc: dict[str, Any]) -> Message:
    # Only known fields: a document may carry more (a later schema) without breaking reads.
    return Message.model_validate({k: v for k, v in doc.items() if k in Message.model_fields})


def outbox_to_doc(item: OutboxItem) -> dict[str, Any]:
    purge = item.purge
    return {
        "event_id": item.event_id,
        "event_type": item.event.event_type,
        # JSON text, not a map: the event comes back exactly as it was built.
        "event": item.event.model_dump_json(),
        "created_at": item.created_at,
        "purge": None if purge is None else asdict(purge),
    }


def outbox_from_doc(doc: dict[str, Any]) -> OutboxItem:
    purge = doc.get("purge")
    created_at: datetime = doc["created_at"]
    return OutboxItem(
        event=_EVENT.validate_json(doc["event"]),
        created_at=created_at,
        purge=None
        if not purge
        else SessionKey(purge["tenant_id"], purge["user_id"], purge["session_id"]),
    )


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
