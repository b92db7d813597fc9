"""Messages past the retention in sessions still in use, through the official client against the
Firestore emulator in strict-index mode: the reconciler's collection-group query (its index must
be in infra/firestore.indexes.json, or the emulator refuses it), the deletion, and one
reconciler run that announces and then deletes them. Fixtures and helpers are those of
test_retention_store.py; this module has its own project, so the queries see only its data."""

from __future__ import annotations

from google.cloud import firestore

from shared.adapters.firestore.session_store import FirestoreSessionStore
from shared.adapters.in_memory.event_bus import InMemoryEventPublisher
from shared.domain.events import MessagesExpired
from shared.domain.models import Message
from shared.ports.session_store import SessionKey
from shared.services.reconciler import ReconcileLimits, Reconciler
from tests.conftest import unique_id
from tests.integration.test_retention_store import (  # noqa: F401 - fixtures
    DAYS,
    Clock,
    clock,
    day,
    db,
    doc,
    new_session,
    says,
    store,
)


def conversation(sessions: FirestoreSessionStore, tenant: str, *days: float) -> list[Message]:
    """A session in `tenant` with one message per day given; returns the stored messages."""
    session = sessions.create_session(new_session(tenant, day(days[0])))
    key = SessionKey(tenant, "u", session.session_id)
    made: list[Message] = []
    for n in days:
        made += sessions.append_messages(key, says((f"day {n}", day(n))), now=day(n))[1]
    return made


def ids(messages: list[Message]) -> list[str]:
    return [m.message_id for m in messages]


def test_expired_messages_of_every_tenant_are_found_oldest_first_then_deleted(
    store: FirestoreSessionStore,  # noqa: F811 - the imported fixture
    db: firestore.Client,  # noqa: F811
) -> None:
    a = conversation(store, unique_id("t"), 0, 2, 40)
    b = conversation(store, unique_id("t"), 1, 41)
    cutoff = day(2)  # at or before: day 0, 1 and 2 have expired

    assert ids(store.expired_messages(cutoff, 10)) == ids([a[0], b[0], a[1]])
    first_two = store.expired_messages(cutoff, 2)
    assert ids(first_two) == ids([a[0], b[0]])
    assert (first_two[1].tenant_id, first_two[1].user_id) == (b[0].tenant_id, "u")

    store.delete_messages(first_two)
    store.delete_messages(first_two)  # already gone: fine
    assert ids(store.expired_messages(cutoff, 10)) == ids([a[1]])
    key = SessionKey(a[0].tenant_id, "u", a[0].session_id)
    assert doc(db, key, a[0].message_id) is None
    assert doc(db, key)["message_count"] == 3  # the session and its count are untouched
    store.delete_messages(store.expired_messages(cutoff, 10))
    assert store.expired_messages(cutoff, 10) == []


def test_a_reconciler_run_announces_expired_messages_then_deletes_them(
    db: firestore.Client,  # noqa: F811
) -> None:
    now = Clock()
    sessions = FirestoreSessionStore(db, retention_days=DAYS, clock=now)
    bus = InMemoryEventPublisher()
    reconciler = Reconciler(
        sessions,
        lambda: bus,
        ReconcileLimits(min_age_s=0, batch_size=200, max_items=5_000, retention_days=DAYS),
        clock=now,
    )
    tenant = unique_id("t")
    made = conversation(sessions, tenant, 60, 61, 80)
    now.now = day(61 + DAYS)  # the messages of days 60 and 61 expire; the session lives on

    def announced() -> list[MessagesExpired]:
        # The other test's sessions are idle by now: the same run deletes them whole.
        return [e for e in bus.events if isinstance(e, MessagesExpired) and e.tenant_id == tenant]

    reconciler.run()

    [event] = announced()
    assert (event.tenant_id, event.session_id, event.message_ids) == (
        tenant,
        made[0].session_id,
        ids(made[:2]),
    )
    key = SessionKey(tenant, "u", made[0].session_id)
    assert [doc(db, key, m.message_id) is None for m in made] == [True, True, False]
    assert sessions.get_session(key).message_count == 3
    reconciler.run()
    assert len(announced()) == 1
