"""Issue 3 acceptance: no event is lost when Pub/Sub is down. Chats succeed during an outage of
this module's own Pub/Sub emulator, their messages stay unpublished in Firestore, and after the
restart one reconciler run delivers every event exactly once."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator

import pytest

from tests.integration.session_api_support import (
    Deployment,
    create_topic,
    deploy,
    firestore_client,
    pubsub_emulator_process,
    pull_events,
)


@pytest.fixture(scope="module")
def pubsub():
    with pubsub_emulator_process() as proc:
        yield proc


@pytest.fixture(scope="module")
def deployment(firestore_emulator, pubsub, project_id) -> Iterator[Deployment]:
    with deploy(firestore_emulator.address, pubsub.address, project_id) as running:
        yield running


def unpublished(db, tenant: str) -> list[str]:
    sessions = db.collection("tenants").document(tenant).collection("sessions").stream()
    return sorted(
        m.id
        for s in sessions
        for m in s.reference.collection("messages").stream()
        if not m.get("published")
    )


def test_events_survive_a_pubsub_outage(deployment: Deployment, pubsub) -> None:
    api = deployment.api.as_user("alice", tenant=f"r{uuid.uuid4().hex[:8]}")
    db = firestore_client(deployment.firestore_host, deployment.project)
    before = api.chat("before the outage")
    pull_events(deployment.pubsub_host, deployment.project, expect=3)
    doomed = api.new_session(title="to delete during the outage")

    pubsub.stop()
    during = [api.chat("during the outage, new session")]
    during.append(api.chat("during the outage, old session", before["session_id"]))
    assert api.call("DELETE", f"/v1/sessions/{doomed}").status_code == 204
    expected = sorted(r[k]["message_id"] for r in during for k in ("message", "reply"))
    assert unpublished(db, api.tenant) == expected

    pubsub.start(timeout=60)
    create_topic(deployment.pubsub_host, deployment.project)  # the emulator forgot it
    report = deployment.reconcile()
    assert report["messages_published"] == 4
    assert report["session_events_published"] == 2  # the new session, the deletion
    assert unpublished(db, api.tenant) == []

    events = pull_events(deployment.pubsub_host, deployment.project, expect=6)
    created = Counter(e["event_id"] for e in events if e["event_type"] == "message.created")
    assert sorted(created) == expected and set(created.values()) == {1}
    changes = sorted(e["change"] for e in events if e["event_type"] == "session.changed")
    assert changes == ["created", "deleted"]
    assert deployment.reconcile() == {
        "session_events_published": 0,
        "messages_published": 0,
        "done": True,
    }
    assert pull_events(deployment.pubsub_host, deployment.project, expect=0, timeout=3) == []
