"""The ack/retry policy of Pub/Sub-triggered functions (`shared.event_function`)."""

from __future__ import annotations

import base64
import json
import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from cloudevents.http import CloudEvent

from shared.domain.errors import InvalidInput, Unavailable
from shared.domain.events import Event, UserErased
from shared.event_function import decode, handle

EVENT = UserErased(
    event_id="u1.erased",
    tenant_id="t1",
    user_id="u1",
    occurred_at=datetime(2026, 11, 1, tzinfo=UTC),
)


def pubsub_cloud_event(data: bytes | str, **attributes: str) -> CloudEvent:
    """What functions-framework builds from a push body (and Eventarc sends in the cloud)."""
    encoded = data if isinstance(data, str) else base64.b64encode(data).decode()
    return CloudEvent(
        {
            "type": "google.cloud.pubsub.topic.v1.messagePublished",
            "source": "//pubsub.googleapis.com/projects/p/topics/messages",
        },
        {"message": {"data": encoded, "attributes": attributes, "messageId": "42"}},
    )


def test_decode_returns_the_event_and_message_id() -> None:
    delivery = decode(
        pubsub_cloud_event(EVENT.model_dump_json().encode(), event_type="user.erased")
    )

    assert delivery.event == EVENT
    assert delivery.message_id == "42"


@pytest.mark.parametrize(
    "data",
    [
        "%%% not base64 %%%",
        base64.b64encode(b"{not json").decode(),
        base64.b64encode(json.dumps({"event_type": "message.created"}).encode()).decode(),
        base64.b64encode(json.dumps({"event_type": "nope", "event_id": "x"}).encode()).decode(),
        base64.b64encode(b"[1, 2]").decode(),
        base64.b64encode(b"\xff\xfe").decode(),
    ],
    ids=["base64", "json", "schema", "unknown-type", "not-an-object", "not-utf8"],
)
def test_decode_rejects_malformed_events(data: str) -> None:
    with pytest.raises(InvalidInput) as failure:
        decode(pubsub_cloud_event(data))

    assert failure.value.code == "malformed_event"


def test_decode_rejects_attributes_that_contradict_the_data() -> None:
    with pytest.raises(InvalidInput):
        decode(pubsub_cloud_event(EVENT.model_dump_json().encode(), event_type="message.created"))


def test_malformed_event_is_logged_with_its_id_and_acked(caplog) -> None:
    applied: list[Event] = []
    caplog.set_level(logging.ERROR)

    handle(pubsub_cloud_event(b"{broken"), applied.append)  # returns: Pub/Sub acks

    assert applied == []
    [record] = caplog.records
    assert record.fields == {"code": "malformed_event", "message_id": "42"}


def test_unavailable_is_reraised_so_pubsub_redelivers() -> None:
    def down(event: Any) -> None:
        raise Unavailable("bigquery down")

    with pytest.raises(Unavailable):
        handle(pubsub_cloud_event(EVENT.model_dump_json().encode()), down)


def test_permanent_rejection_is_logged_and_acked(caplog) -> None:
    def reject(event: Any) -> None:
        raise InvalidInput("row rejected", code="bigquery_rejected_rows")

    handle(pubsub_cloud_event(EVENT.model_dump_json().encode()), reject)

    fields = caplog.records[-1].fields
    assert (fields["code"], fields["event_id"]) == ("bigquery_rejected_rows", "u1.erased")


def test_a_bug_is_not_swallowed() -> None:
    def bug(event: Any) -> None:
        raise KeyError("oops")

    with pytest.raises(KeyError):
        handle(pubsub_cloud_event(EVENT.model_dump_json().encode()), bug)


def test_an_event_of_another_schema_version_is_retried_not_dropped() -> None:
    newer = {**json.loads(EVENT.model_dump_json()), "schema_version": "2", "new_field": 1}
    applied: list[Event] = []

    with pytest.raises(Unavailable) as failure:
        handle(pubsub_cloud_event(json.dumps(newer).encode()), applied.append)

    assert failure.value.code == "unsupported_schema_version"
    assert applied == []


def test_attributes_of_the_wrong_shape_are_ignored() -> None:
    event = pubsub_cloud_event(EVENT.model_dump_json().encode())
    event.data["message"]["attributes"] = ["not", "a", "map"]

    assert decode(event).event == EVENT
