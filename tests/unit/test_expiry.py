"""Messages that pass the retention inside a session still in use: the reconciler announces them
(`MessagesExpired`) and only then deletes them, and ingest removes their vectors. The store
query runs against the Firestore emulator in tests/integration/test_expiry_store.py."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from cloudevents.http import CloudEvent
from pydantic import ValidationError

from shared.adapters.in_memory.embedder import InMemoryEmbedder
from shared.adapters.in_memory.event_bus import InMemoryEventPublisher
from shared.adapters.in_memory.session_store import InMemorySessionStore
from shared.adapters.in_memory.vector_index import InMemoryVectorIndex
from shared.config import Settings
from shared.domain import ids
from shared.domain.errors import Unavailable
from shared.domain.events import MAX_EXPIRED_IDS, Event, MessageData, MessagesExpired
from shared.domain.models import NewMessage, Session
from shared.event_function import handle
from shared.ports.analytics_sink import MessageRecord
from shared.ports.event_bus import ordering_key
from shared.ports.session_store import SessionKey
from shared.services.ingest_service import IngestService
from shared.services.reconciler import ReconcileLimits, Reconciler

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DAYS = 30


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class Publisher(InMemoryEventPublisher):
    """Records, at each publish, which of the announced messages were still stored; can let
    only the first `only` events of a call through before failing."""

    def __init__(self, store: InMemorySessionStore) -> None:
        super().__init__()
        self.store = store
        self.stored_at_publish: list[bool] = []
        self.only: int | None = None

    def publish(self, events: Sequence[Event]) -> None:
        for event in events:
            if isinstance(event, MessagesExpired):
                for mid in event.message_ids:
                    self.stored_at_publish.append(stored(self.store, event.tenant_id, mid))
        if self.only is None:
            super().publish(events)
            return
        sent = list(events)[: self.only]
        super().publish(sent)
        raise Unavailable(
            "partial", code="events_unavailable", published=[e.event_id for e in sent]
        )


def stored(store: InMemorySessionStore, tenant_id: str, message_id: str) -> bool:
    session_id, _, seq = message_id.rpartition("-")
    return int(seq) in store.messages.get((tenant_id, session_id), {})


class Stack:
    def __init__(self, **limits_: int) -> None:
        self.store = InMemorySessionStore()
        self.bus = Publisher(self.store)
        self.clock = Clock()
        limits = ReconcileLimits(0, 200, 5_000, DAYS)
        self.reconciler = Reconciler(
            self.store, lambda: self.bus, dataclasses.replace(limits, **limits_), clock=self.clock
        )

    def say(self, session_id: str, *times: datetime, user: str = "alice") -> list[str]:
        """Append one message per time to the session (created on first use), published."""
        key = SessionKey("t1", user, session_id)
        new_session = None
        if ("t1", session_id) not in self.store.sessions:
            new_session = Session(
                session_id=session_id,
                tenant_id="t1",
                user_id=user,
                created_at=times[0],
                updated_at=times[0],
            )
        made = []
        for at in times:
            message = NewMessage(role="user", content=f"tides {at}", created_at=at, metadata={})
            _, stored_now = self.store.append_messages(
                key, [message], now=at, new_session=new_session
            )
            new_session = None
            self.store.mark_published(stored_now)
            made += [m.message_id for m in stored_now]
        return made

    def expired_events(self) -> list[MessagesExpired]:
        return self.bus.of_type("messages.expired")


def test_reconciler_announces_expired_messages_then_deletes_them() -> None:
    stack = Stack()
    old = stack.say("s1", day(0), day(1))
    recent = stack.say("s1", day(20))
    stack.clock.now = day(DAYS + 2)  # day 0 and 1 have expired; the session is in use (day 20)

    report = stack.reconciler.run()

    [event] = stack.expired_events()
    assert (event.tenant_id, event.user_id, event.session_id) == ("t1", "alice", "s1")
    assert event.message_ids == old
    assert stack.bus.stored_at_publish == [True, True]  # published before the deletion
    assert not any(stored(stack.store, "t1", mid) for mid in old)
    assert stored(stack.store, "t1", recent[0])
    assert stack.store.get_session(SessionKey("t1", "alice", "s1")).message_count == 3
    assert report.as_dict() == {
        "session_events_published": 1,
        "messages_published": 0,
        "done": True,
    }
    assert report.messages_expired == 2
    assert stack.reconciler.run().as_dict()["session_events_published"] == 0  # nothing twice
    assert len(stack.expired_events()) == 1


def test_a_failed_publish_keeps_the_messages_for_the_next_run() -> None:
    stack = Stack()
    old = stack.say("s1", day(0), day(1))
    stack.say("s1", day(20))
    stack.clock.now = day(DAYS + 2)
    stack.bus.down = True

    with pytest.raises(Unavailable):
        stack.reconciler.run()
    assert all(stored(stack.store, "t1", mid) for mid in old)

    stack.bus.down = False
    stack.reconciler.run()
    [event] = stack.expired_events()
    assert event.message_ids == old
    assert not any(stored(stack.store, "t1", mid) for mid in old)


def test_a_partly_failed_publish_deletes_only_what_was_announced() -> None:
    stack = Stack()
    first = stack.say("s1", day(0))
    second = stack.say("s2", day(1))
    stack.say("s1", day(20))
    stack.say("s2", day(20))
    stack.clock.now = day(DAYS + 2)
    stack.bus.only = 1

    with pytest.raises(Unavailable):
        stack.reconciler.run()
    assert [e.session_id for e in stack.expired_events()] == ["s1"]
    assert not stored(stack.store, "t1", first[0])
    assert stored(stack.store, "t1", second[0])

    stack.bus.only = None
    stack.reconciler.run()
    assert [e.session_id for e in stack.expired_events()] == ["s1", "s2"]
    assert not stored(stack.store, "t1", second[0])


def test_one_event_per_session_and_each_message_counts_toward_the_run_bound() -> None:
    stack = Stack(batch_size=3, max_items=5)
    a = stack.say("a", day(0), day(0.1), day(0.2), day(0.3))
    b = stack.say("b", day(0.15), day(0.25), user="bob")
    stack.say("a", day(20))
    stack.say("b", day(20), user="bob")
    stack.clock.now = day(DAYS + 1)

    first = stack.reconciler.run()
    # Oldest first, 3 then 2: a0 a1 b0 | a2 b1 (a3 waits for the next run).
    assert (first.messages_expired, first.done) == (5, False)
    announced = [(e.session_id, e.user_id, e.message_ids) for e in stack.expired_events()]
    assert announced == [
        ("a", "alice", a[:2]),
        ("b", "bob", b[:1]),
        ("a", "alice", a[2:3]),
        ("b", "bob", b[1:]),
    ]
    assert first.as_dict()["session_events_published"] == first.expiry_events == 4
    second = stack.reconciler.run()
    assert (second.messages_expired, second.done) == (1, True)
    assert stack.expired_events()[-1].message_ids == a[3:]


def test_event_ids_are_deterministic_and_distinct_per_batch() -> None:
    def ids_after_first_run() -> list[str]:
        stack = Stack(batch_size=2)
        stack.say("s1", day(0), day(1), day(2), day(20))
        stack.clock.now = day(DAYS + 3)
        stack.reconciler.run()
        return [e.event_id for e in stack.expired_events()]

    first = ids_after_first_run()
    assert first == ids_after_first_run()
    assert len(first) == len(set(first)) == 2
    assert first[0].startswith("s1.expired.0-1.")


def test_expiry_events_share_the_ordering_key_of_their_session() -> None:
    stack = Stack()
    stack.say("s1", day(0), day(20))
    stack.clock.now = day(DAYS + 3)
    stack.reconciler.run()
    assert [ordering_key(e) for e in stack.expired_events()] == ["s1"]


def test_without_retention_no_message_expires() -> None:
    store = InMemorySessionStore()
    bus = InMemoryEventPublisher()
    reconciler = Reconciler(
        store, lambda: bus, ReconcileLimits(0, 200, 5_000, None), clock=lambda: day(10_000)
    )
    session = Session(session_id="s1", tenant_id="t1", user_id="u", created_at=T0, updated_at=T0)
    store.append_messages(
        SessionKey("t1", "u", "s1"),
        [NewMessage(role="user", content="hi", created_at=T0, metadata={})],
        now=T0,
        new_session=session,
    )
    reconciler.run()
    assert bus.of_type("messages.expired") == []
    assert len(store.messages[("t1", "s1")]) == 1


def test_the_event_carries_at_least_one_and_a_bounded_number_of_ids() -> None:
    for count in (0, MAX_EXPIRED_IDS + 1):
        with pytest.raises(ValidationError):
            MessagesExpired(
                event_id="e",
                tenant_id="t",
                user_id="u",
                occurred_at=T0,
                session_id="s",
                message_ids=[f"s-{n}" for n in range(count)],
            )
    # One reconciler batch always fits in one event.
    assert Settings.model_fields["reconcile_batch_size"].metadata[-1].le <= MAX_EXPIRED_IDS


# --- ingest ----------------------------------------------------------------------------------


def indexed(vectors: InMemoryVectorIndex, *message_ids: str) -> IngestService:
    ingest = IngestService(analytics=None, embedder=InMemoryEmbedder(), vectors=vectors)  # type: ignore[arg-type]  # no analytics sink: these events never reach it
    records = []
    for mid in message_ids:
        session_id, _, seq = mid.rpartition("-")
        data = MessageData(
            message_id=mid,
            session_id=session_id,
            seq=int(seq),
            role="user",
            content=f"tides {mid}",
            created_at=T0,
        )
        records.append(MessageRecord("t1", "alice", mid, data))
    ingest.index_messages(records)
    return ingest


def delivery(event: MessagesExpired) -> CloudEvent:
    return CloudEvent(
        {
            "type": "google.cloud.pubsub.topic.v1.messagePublished",
            "source": "//pubsub.googleapis.com/projects/p/topics/messages",
        },
        {
            "message": {
                "data": base64.b64encode(event.model_dump_json().encode()).decode(),
                "attributes": {"event_type": event.event_type},
                "messageId": "7",
            }
        },
    )


def test_ingest_removes_the_vectors_of_expired_messages_and_a_redelivery_is_harmless() -> None:
    old = [ids.message_id("s1", seq) for seq in (0, 1)]
    kept = ids.message_id("s1", 2)
    vectors = InMemoryVectorIndex()
    ingest = indexed(vectors, *old, kept)
    event = MessagesExpired(
        event_id="s1.expired.0-1.x",
        tenant_id="t1",
        user_id="alice",
        occurred_at=day(DAYS + 2),
        session_id="s1",
        message_ids=old,
    )

    handle(delivery(event), ingest.handle)
    assert set(vectors.points) == {kept}
    handle(delivery(event), ingest.handle)  # at-least-once delivery
    assert set(vectors.points) == {kept}


def test_ingest_retries_when_the_index_is_down() -> None:
    class Down(InMemoryVectorIndex):
        def remove(self, ids: Sequence[str]) -> None:
            raise Unavailable("index down")

    ingest = IngestService(analytics=None, embedder=InMemoryEmbedder(), vectors=Down())  # type: ignore[arg-type]  # no analytics sink: these events never reach it
    event = MessagesExpired(
        event_id="e",
        tenant_id="t1",
        user_id="alice",
        occurred_at=T0,
        session_id="s1",
        message_ids=["s1-00000000"],
    )
    with pytest.raises(Unavailable):
        handle(delivery(event), ingest.handle)


def test_reconciler_events_reach_ingest_end_to_end() -> None:
    stack = Stack()
    old = stack.say("s1", day(0))
    recent = stack.say("s1", day(20))
    vectors = InMemoryVectorIndex()
    ingest = indexed(vectors, *old, *recent)
    stack.clock.now = day(DAYS + 1)

    stack.reconciler.run()
    for event in stack.expired_events():
        ingest.handle(event)

    assert set(vectors.points) == set(recent)
