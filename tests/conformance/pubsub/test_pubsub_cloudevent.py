"""The push envelope is what functions-framework turns into a Pub/Sub CloudEvent: a push
subscription drives a CloudEvent function (run by `python -m functions_framework`) unchanged."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.pubsub_v1 import types

from emulators.launcher import ManagedProcess, free_port, python_module
from tests.conftest import LOG_DIR

from .conftest import PubSub

SINK = Path(__file__).with_name("cloudevent_sink.py")


@pytest.fixture(scope="module")
def cloudevent_function(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ManagedProcess, Path]]:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    events = tmp_path_factory.mktemp("cloudevents") / "events.jsonl"
    port = free_port()
    proc = ManagedProcess(
        name="cloudevent-sink",
        argv=python_module(
            "functions_framework",
            "--source",
            str(SINK),
            "--target",
            "sink",
            "--signature-type",
            "cloudevent",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ),
        host="127.0.0.1",
        port=port,
        env={"CE_SINK_PATH": str(events)},
        log_path=LOG_DIR / f"cloudevent-sink-{port}.log",
    )
    with proc.start(timeout=30):
        yield proc, events


def _events_of(path: Path, message_ids: set[str], timeout: float = 10.0) -> list[dict]:
    """The events the function recorded for these messages, once all of them arrived."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            events = [json.loads(line) for line in path.read_text().splitlines()]
            mine = [e for e in events if e["attributes"]["id"] in message_ids]
            if {e["attributes"]["id"] for e in mine} == message_ids:
                return mine
        time.sleep(0.05)
    raise AssertionError(f"the function did not receive {message_ids} within {timeout}s")


def test_push_envelope_becomes_a_cloudevent(
    ps: PubSub, cloudevent_function: tuple[ManagedProcess, Path]
) -> None:
    proc, events = cloudevent_function
    topic, dlq = ps.topic(), ps.topic("dlq")
    # Eventarc-style endpoint path: functions-framework reads the topic from it.
    endpoint = f"http://{proc.address}/{topic}"
    ps.subscription(
        topic,
        push_config={"push_endpoint": endpoint},
        dead_letter_policy={"dead_letter_topic": dlq, "max_delivery_attempts": 5},
    )
    payload = {"session_id": "s-1", "text": "héllo"}
    (message_id,) = ps.publish(
        topic, json.dumps(payload).encode(), kind="message.created", tenant="t1"
    )
    (event,) = _events_of(events, {message_id})
    attrs = event["attributes"]
    assert attrs["type"] == "google.cloud.pubsub.topic.v1.messagePublished"
    assert attrs["source"] == f"//pubsub.googleapis.com/{topic}"
    assert attrs["id"] == message_id
    assert attrs["specversion"] == "1.0"
    message = event["data"]["message"]
    assert json.loads(base64.b64decode(message["data"])) == payload
    assert message["attributes"] == {"kind": "message.created", "tenant": "t1"}
    assert message["messageId"] == message_id
    assert message["publishTime"] == attrs["time"]
    time.sleep(0.3)
    assert len(_events_of(events, {message_id})) == 1  # the function's answer acknowledged it


def test_attribute_only_message_reaches_the_function(
    ps: PubSub, cloudevent_function: tuple[ManagedProcess, Path]
) -> None:
    proc, events = cloudevent_function
    topic = ps.topic()
    ps.subscription(topic, push_config={"push_endpoint": f"http://{proc.address}/"})
    resp = ps.publisher.raw.publish(
        topic=topic, messages=[types.PubsubMessage(attributes={"only": "attributes"})]
    )
    (event,) = _events_of(events, set(resp.message_ids))
    assert event["data"]["message"]["attributes"] == {"only": "attributes"}
    assert event["data"]["message"]["data"] == ""
