"""The edge of Pub/Sub-triggered functions: CloudEvent in, domain event out, and the one
ack-or-retry policy.

Eventarc (in the cloud) and functions-framework's conversion of a raw push body (locally) both
hand the function a CloudEvent whose data is `{"message": {"data": <base64>, "attributes": ...,
"messageId": ...}}`. The outcome of an invocation is what Pub/Sub sees:

- returns normally -> 2xx -> acked. That is the outcome for a malformed event (bad base64, bad
  JSON, an invalid event) and for data a sink rejects for good: logged at ERROR with the Pub/Sub
  message id and a machine-readable code, then dropped, so it cannot block the subscription
  (or, with ordering on, its session) by being retried for ever. Dead-lettering would need a
  dead-letter policy on the Eventarc subscription, which Terraform cannot set (GCP_FACTS §3).
- raises `Unavailable` -> 500 -> redelivered with backoff: a sink was down, or the event has a
  schema version this code does not read yet (a publisher deployed first).
- any other exception is a bug: it propagates too (500), so nothing is dropped silently, and a
  dead-letter policy, where one is set, ends the retries.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError

from shared.domain.errors import HybridSessionsError, InvalidInput, Unavailable
from shared.domain.events import SCHEMA_VERSION, Event

log = logging.getLogger(__name__)

_EVENT = TypeAdapter(Event)


@dataclass(frozen=True)
class Delivery:
    """One Pub/Sub delivery: its message id (for logs) and the decoded event."""

    message_id: str
    attributes: Mapping[str, str]
    event: Event


def decode(cloud_event: Any) -> Delivery:
    """`InvalidInput` (code `malformed_event`) for anything that is not one of our events;
    `Unavailable` (code `unsupported_schema_version`) for an event of another schema version,
    which a publisher deployed before this function may send: retried, not dropped, until the
    new version of this function runs (or the dead-letter policy ends it)."""
    data = getattr(cloud_event, "data", None)
    message = data.get("message") if isinstance(data, Mapping) else None
    if not isinstance(message, Mapping):
        raise InvalidInput("not a Pub/Sub message event", code="malformed_event")
    message_id = str(message.get("messageId") or message.get("message_id") or "")
    attributes = message.get("attributes")
    if not isinstance(attributes, Mapping):
        attributes = {}
    try:
        payload = json.loads(base64.b64decode(message.get("data") or "", validate=True))
        version = payload.get("schema_version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise Unavailable(
                f"message {message_id}: schema version {version!r}, this function reads "
                f"{SCHEMA_VERSION!r}",
                code="unsupported_schema_version",
            )
        event = _EVENT.validate_python(payload)
    except (binascii.Error, ValueError, AttributeError, ValidationError) as exc:
        reason = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        raise InvalidInput(
            f"message {message_id}: {reason}", code="malformed_event", message_id=message_id
        ) from exc
    claimed = attributes.get("event_type")
    if claimed is not None and claimed != event.event_type:
        raise InvalidInput(
            f"message {message_id}: attribute event_type={claimed!r} but data is "
            f"{event.event_type!r}",
            code="malformed_event",
            message_id=message_id,
        )
    return Delivery(message_id=message_id, attributes=dict(attributes), event=event)


def handle(cloud_event: Any, apply: Callable[[Event], None]) -> None:
    """Decode and apply one delivery with the ack/retry policy of the module docstring."""
    try:
        delivery = decode(cloud_event)
    except InvalidInput as exc:
        log.error(
            "dropped malformed event: %s",
            exc.message,
            extra={"fields": {"code": exc.code, "message_id": exc.details.get("message_id", "")}},
        )
        return
    except Unavailable as exc:
        log.warning("retrying event: %s", exc.message, extra={"fields": {"code": exc.code}})
        raise
    event = delivery.event
    context = {
        "message_id": delivery.message_id,
        "event_id": event.event_id,
        "event_type": event.event_type,
    }
    try:
        apply(event)
    except Unavailable as exc:
        log.warning(
            "retrying event: %s", exc.message, extra={"fields": {**context, "code": exc.code}}
        )
        raise
    except HybridSessionsError as exc:
        log.error(
            "dropped rejected event: %s",
            exc.message,
            extra={"fields": {**context, "code": exc.code}},
        )
        return
    log.info("ingested event", extra={"fields": context})
