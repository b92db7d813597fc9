from __future__ import annotations

import threading

import pytest

from shared.domain.errors import Conflict, InvalidInput, NotFound
from shared.domain.models import (
    AppendMessages,
    ChatRequest,
    CreateSession,
    MessageIn,
    Order,
    UpdateSession,
)
from tests.unit.session_fakes import ALICE, BOB, Fakes, build


@pytest.fixture
def fx() -> Fakes:
    return build()


def append(fx: Fakes, sid: str, n: int, key: str | None = None, caller=ALICE):
    body = AppendMessages(messages=[MessageIn(role="user", content=f"m{i}") for i in range(n)])
    return fx.services.sessions.append(caller, sid, body, key)


def test_create_get_update_publish_session_events(fx: Fakes) -> None:
    svc = fx.services.sessions
    session = svc.create(ALICE, CreateSession(title="Plans", metadata={"k": 1}))
    assert svc.get(ALICE, session.session_id).title == "Plans"
    renamed = svc.update(ALICE, session.session_id, UpdateSession(title="New"))
    archived = svc.update(ALICE, session.session_id, UpdateSession(status="archived"))
    assert (renamed.title, archived.status) == ("New", "archived")
    changes = [(e.change, e.event_id) for e in fx.bus.of_type("session.changed")]
    assert [c for c, _ in changes] == ["created", "updated", "archived"]
    assert len({i for _, i in changes}) == 3  # distinct, deterministic ids


def test_update_with_nothing_is_invalid(fx: Fakes) -> None:
    sid = fx.services.sessions.create(ALICE, CreateSession()).session_id
    with pytest.raises(InvalidInput):
        fx.services.sessions.update(ALICE, sid, UpdateSession())


def test_list_sessions_newest_first_with_status_filter_and_pages(fx: Fakes) -> None:
    svc = fx.services.sessions
    made = [svc.create(ALICE, CreateSession(title=str(i))).session_id for i in range(7)]
    svc.create(BOB, CreateSession())
    svc.update(ALICE, made[0], UpdateSession(status="archived"))
    seen, token = [], None
    while True:
        page = svc.list(ALICE, status=None, page_size=3, page_token=token)
        seen += [s.session_id for s in page.items]
        token = page.next_page_token
        if token is None:
            break
    assert seen == made[::-1]
    active = svc.list(ALICE, status="active", page_size=100, page_token=None).items
    assert [s.session_id for s in active] == made[:0:-1]


def test_page_token_of_another_query_is_invalid(fx: Fakes) -> None:
    svc = fx.services.sessions
    for _ in range(3):
        svc.create(ALICE, CreateSession())
    token = svc.list(ALICE, status=None, page_size=1, page_token=None).next_page_token
    with pytest.raises(InvalidInput) as err:
        svc.list(ALICE, status="archived", page_size=1, page_token=token)
    assert err.value.code == "invalid_page_token"
    for bad in ["garbage!", "e30", "eyJrIjoic2Vzc2lvbnM6In0"]:
        with pytest.raises(InvalidInput):
            svc.list(ALICE, status=None, page_size=1, page_token=bad)


def test_messages_paginate_both_directions_exactly_once(fx: Fakes) -> None:
    sid = fx.services.sessions.create(ALICE, CreateSession()).session_id
    append(fx, sid, 25)
    orders: list[tuple[Order, list[int]]] = [
        ("asc", list(range(25))),
        ("desc", list(range(24, -1, -1))),
    ]
    for order, expected in orders:
        seqs, token = [], None
        while True:
            page = fx.services.sessions.list_messages(
                ALICE, sid, order=order, page_size=7, page_token=token
            )
            seqs += [m.seq for m in page.items]
            token = page.next_page_token
            if token is None:
                break
        assert seqs == expected


def test_concurrent_appends_get_gap_free_seqs(fx: Fakes) -> None:
    sid = fx.services.sessions.create(ALICE, CreateSession()).session_id
    threads = [threading.Thread(target=append, args=(fx, sid, 1)) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seqs = sorted(m.seq for m in fx.store.messages[("t1", sid)].values())
    assert seqs == list(range(50))
    assert fx.services.sessions.get(ALICE, sid).message_count == 50


def test_append_limits(fx: Fakes) -> None:
    sid = fx.services.sessions.create(ALICE, CreateSession()).session_id
    with pytest.raises(InvalidInput):
        fx.services.sessions.append(ALICE, sid, AppendMessages(messages=[]), None)
    with pytest.raises(InvalidInput):
        append(fx, sid, 251)
    assert fx.services.sessions.get(ALICE, sid).message_count == 0


def test_append_is_idempotent(fx: Fakes) -> None:
    sid = fx.services.sessions.create(ALICE, CreateSession()).session_id
    first = append(fx, sid, 3, key="a")
    assert append(fx, sid, 3, key="a").body == first.body
    assert fx.services.sessions.get(ALICE, sid).message_count == 3


def test_every_route_hides_foreign_sessions(fx: Fakes) -> None:
    svc = fx.services.sessions
    sid = svc.create(ALICE, CreateSession()).session_id
    calls = [
        lambda: svc.get(BOB, sid),
        lambda: svc.update(BOB, sid, UpdateSession(title="x")),
        lambda: svc.delete(BOB, sid),
        lambda: svc.list_messages(BOB, sid, order="asc", page_size=None, page_token=None),
        lambda: append(fx, sid, 1, caller=BOB),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()
    assert svc.get(ALICE, sid).message_count == 0


def test_delete_removes_messages_and_announces_count(fx: Fakes) -> None:
    sid = fx.services.sessions.create(ALICE, CreateSession()).session_id
    append(fx, sid, 4)
    fx.services.sessions.delete(ALICE, sid)
    with pytest.raises(NotFound):
        fx.services.sessions.get(ALICE, sid)
    assert ("t1", sid) not in fx.store.messages
    deleted = fx.bus.of_type("session.changed")[-1]
    assert (deleted.change, deleted.session.message_count) == ("deleted", 4)


def test_delete_with_pubsub_down_leaves_purge_to_reconciler(fx: Fakes) -> None:
    sid = fx.services.sessions.create(ALICE, CreateSession()).session_id
    append(fx, sid, 2)
    fx.bus.down = True
    fx.services.sessions.delete(ALICE, sid)
    assert len(fx.store.outbox) == 1
    fx.bus.down = False
    fx.clock.advance(3600)
    fx.services.reconciler.run()
    assert fx.store.outbox == {}
    assert fx.bus.of_type("session.changed")[-1].change == "deleted"


def test_erase_user_deletes_all_sessions_then_announces(fx: Fakes) -> None:
    svc = fx.services.sessions
    for _ in range(3):
        sid = svc.create(ALICE, CreateSession()).session_id
        append(fx, sid, 2, key=f"k-{sid}")
    keep = svc.create(BOB, CreateSession()).session_id
    assert svc.erase_user(ALICE) == 3
    assert svc.list(ALICE, status=None, page_size=10, page_token=None).items == []
    assert svc.get(BOB, keep)
    types = [e.event_type for e in fx.bus.events]
    assert types[-1] == "user.erased"
    assert sum(1 for e in fx.bus.of_type("session.changed") if e.change == "deleted") == 3
    assert fx.store._idem == {}


def test_archived_session_refuses_appends(fx: Fakes) -> None:
    sid = fx.services.sessions.create(ALICE, CreateSession()).session_id
    fx.services.sessions.update(ALICE, sid, UpdateSession(status="archived"))
    with pytest.raises(Conflict):
        append(fx, sid, 1)


def test_metadata_limits(fx: Fakes) -> None:
    with pytest.raises(InvalidInput):
        fx.services.sessions.create(ALICE, CreateSession(metadata={"x": "y" * 20_000}))
    with pytest.raises(InvalidInput):
        fx.services.sessions.create(ALICE, CreateSession(metadata={"x": [[1]]}))
    with pytest.raises(InvalidInput):
        fx.services.sessions.create(ALICE, CreateSession(metadata={"n": 2**64}))
    with pytest.raises(InvalidInput):
        fx.services.sessions.create(ALICE, CreateSession(title="t" * 201))
    assert fx.store.sessions == {}


def test_reconciler_republishes_once_pubsub_is_back(fx: Fakes) -> None:
    fx.bus.down = True
    bodies = [
        fx.services.chat.chat(ALICE, ChatRequest(message=f"q{i}"), None).body for i in range(3)
    ]
    fx.bus.down = False
    report = fx.services.reconciler.run()
    assert report.messages == 0  # too young: their requests may still be publishing
    fx.clock.advance(120)
    report = fx.services.reconciler.run()
    assert (report.messages, report.session_events) == (6, 3)
    published = [e.event_id for e in fx.bus.of_type("message.created")]
    expected = [b[k]["message_id"] for b in bodies for k in ("message", "reply")]
    assert sorted(published) == sorted(expected)
    assert fx.services.reconciler.run().messages == 0  # nothing twice


def test_reconciler_run_is_bounded() -> None:
    fx = build(reconcile_max_items=4, reconcile_batch_size=2, reconcile_min_age_s=0)
    fx.bus.down = True
    sid = fx.services.sessions.create(ALICE, CreateSession()).session_id
    append(fx, sid, 9)
    fx.bus.down = False
    fx.clock.advance(1)
    report = fx.services.reconciler.run()
    assert report.done is False and report.session_events + report.messages == 4
