"""IngestService with in-memory sinks: duplicates, one sink down, deletion and erasure."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.adapters.in_memory.analytics_sink import InMemoryAnalyticsSink
from shared.adapters.in_memory.embedder import InMemoryEmbedder
from shared.adapters.in_memory.vector_index import InMemoryVectorIndex
from shared.domain.errors import InvalidInput, Unavailable
from shared.domain.events import (
    MessageCreated,
    MessageData,
    SessionChanged,
    SessionData,
    UserErased,
)
from shared.domain.ids import message_id
from shared.ports.vector_index import VectorFilter
from shared.services.ingest_service import IngestService

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def message_event(
    session: str = "s1",
    seq: int = 0,
    *,
    role: str = "user",
    content: str | None = None,
    user: str = "u1",
    at: datetime = T0,
) -> MessageCreated:
    mid = message_id(session, seq)
    return MessageCreated(
        event_id=f"{mid}.created",
        tenant_id="t1",
        user_id=user,
        occurred_at=at,
        message=MessageData(
            message_id=mid,
            session_id=session,
            seq=seq,
            role=role,  # type: ignore[arg-type]  # the test passes roles as plain strings
            content=f"message {seq} about tides" if content is None else content,
            created_at=at,
        ),
    )


def session_event(session: str, change: str, count: int, user: str = "u1") -> SessionChanged:
    return SessionChanged(
        event_id=f"{session}.{change}.{count}",
        tenant_id="t1",
        user_id=user,
        occurred_at=T0 + timedelta(minutes=5),
        change=change,  # type: ignore[arg-type]  # the test passes changes as plain strings
        session=SessionData(
            session_id=session,
            title="Tides",
            message_count=count,
            created_at=T0,
            updated_at=T0 + timedelta(minutes=5),
        ),
    )


class Switch:
    """Wraps a sink; while `down` every call raises `error`, as an outage would."""

    def __init__(self, inner: Any, error: Exception | None = None) -> None:
        self.inner = inner
        self.down = False
        self.error = error or Unavailable("connection refused")
        self.calls = 0

    def __getattr__(self, name: str) -> Callable[..., Any]:
        target = getattr(self.inner, name)
        if not callable(target):
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if self.down:
                raise self.error
            return target(*args, **kwargs)

        return call


@pytest.fixture
def sinks() -> tuple[Switch, Switch, InMemoryEmbedder]:
    return Switch(InMemoryAnalyticsSink()), Switch(InMemoryVectorIndex()), InMemoryEmbedder()


@pytest.fixture
def service(sinks: tuple[Switch, Switch, InMemoryEmbedder]) -> IngestService:
    analytics, vectors, embedder = sinks
    return IngestService(analytics=analytics, embedder=embedder, vectors=vectors)  # type: ignore[arg-type]  # switchable fakes standing in for the sinks


def test_message_writes_one_row_and_one_vector_with_restricts(service, sinks) -> None:
    analytics, vectors, embedder = sinks

    service.handle(message_event(seq=3))

    [row] = analytics.inner.message_rows
    assert (row.tenant_id, row.user_id, row.event_id) == ("t1", "u1", "s1-00000003.created")
    assert row.embedding_model == embedder.model_id
    point = vectors.inner.points["s1-00000003"]
    assert (point.tenant_id, point.user_id, point.session_id, point.role) == (
        "t1",
        "u1",
        "s1",
        "user",
    )
    assert point.created_at == T0
    assert point.model_id == embedder.model_id == "memory-hash@64"


def test_every_event_delivered_twice_shows_once(service, sinks) -> None:
    analytics, vectors, _ = sinks
    events = [message_event(seq=i) for i in range(5)]

    for event in events + events:
        service.handle(event)

    assert len(analytics.inner.message_rows) == 10  # raw table keeps both copies
    assert len(analytics.inner.visible_messages()) == 5  # the dedup view shows one each
    assert len(vectors.inner.points) == 5


def test_bigquery_down_still_writes_the_vector_then_catches_up(service, sinks) -> None:
    analytics, vectors, _ = sinks
    analytics.down = True

    with pytest.raises(Unavailable) as failure:
        service.handle(message_event())

    assert failure.value.details["sinks"] == ["bigquery"]
    assert "s1-00000000" in vectors.inner.points
    analytics.down = False
    service.handle(message_event())  # the redelivery
    assert list(analytics.inner.visible_messages()) == ["s1-00000000"]
    assert len(vectors.inner.points) == 1


def test_vector_search_down_still_writes_the_row(service, sinks) -> None:
    analytics, vectors, _ = sinks
    vectors.down = True

    with pytest.raises(Unavailable) as failure:
        service.handle(message_event())

    assert failure.value.details["sinks"] == ["vectors"]
    assert len(analytics.inner.message_rows) == 1
    vectors.down = False
    service.handle(message_event())
    assert list(vectors.inner.points) == ["s1-00000000"]


def test_a_permanent_rejection_is_raised_after_the_other_sink_ran(service, sinks) -> None:
    analytics, vectors, _ = sinks
    analytics.down, analytics.error = True, InvalidInput("bad row", code="bigquery_rejected")

    with pytest.raises(InvalidInput):
        service.handle(message_event())

    assert len(vectors.inner.points) == 1


@pytest.mark.parametrize(
    ("role", "content"), [("system", "be brief"), ("tool", '{"x": 1}'), ("user", "  \n ")]
)
def test_unindexed_roles_and_blank_text_go_to_bigquery_only(service, sinks, role, content) -> None:
    analytics, vectors, embedder = sinks

    service.handle(message_event(role=role, content=content))

    [row] = analytics.inner.message_rows
    assert row.embedding_model is None
    assert vectors.inner.points == {}
    assert embedder.calls == []


def test_session_changes_write_session_rows(service, sinks) -> None:
    analytics, _, _ = sinks

    service.handle(session_event("s1", "created", 0))
    service.handle(session_event("s1", "archived", 2))

    assert [r.change for r in analytics.inner.session_rows] == ["created", "archived"]
    assert analytics.inner.session_rows[1].session.message_count == 2


def test_session_deletion_removes_rows_and_vectors_of_that_session_only(service, sinks) -> None:
    analytics, vectors, _ = sinks
    for seq in range(3):
        service.handle(message_event("s1", seq))
    service.handle(message_event("s2", 0))
    service.handle(session_event("s1", "created", 0))

    service.handle(session_event("s1", "deleted", 3))

    assert set(vectors.inner.points) == {"s2-00000000"}
    assert [r.message.session_id for r in analytics.inner.message_rows] == ["s2"]
    assert analytics.inner.session_rows == []
    assert [e.session_id for e in analytics.inner.erasures] == ["s1"]


def test_session_deletion_with_bigquery_down_removes_vectors_and_retries(service, sinks) -> None:
    analytics, vectors, _ = sinks
    service.handle(message_event("s1", 0))
    analytics.down = True

    with pytest.raises(Unavailable):
        service.handle(session_event("s1", "deleted", 1))

    assert vectors.inner.points == {}
    analytics.down = False
    service.handle(session_event("s1", "deleted", 1))
    assert analytics.inner.message_rows == []


def test_user_erasure_removes_every_row_and_leftover_vector(service, sinks) -> None:
    analytics, vectors, _ = sinks
    for seq in range(2):
        service.handle(message_event("s1", seq))
        service.handle(message_event("s9", seq, user="u2"))
    erased = UserErased(event_id="u1.erased", tenant_id="t1", user_id="u1", occurred_at=T0)

    service.handle(erased)
    service.handle(erased)  # redelivered: nothing left to do, no error

    assert {r.user_id for r in analytics.inner.message_rows} == {"u2"}
    assert set(vectors.inner.points) == {"s9-00000000", "s9-00000001"}


def test_user_erasure_keeps_data_the_user_creates_afterwards(service, sinks) -> None:
    analytics, _, _ = sinks
    service.handle(UserErased(event_id="e", tenant_id="t1", user_id="u1", occurred_at=T0))

    service.handle(message_event("s5", 0, at=T0 + timedelta(days=1)))

    assert list(analytics.inner.visible_messages()) == ["s5-00000000"]


def test_user_erasure_does_not_delete_rows_before_vectors_are_gone(service, sinks) -> None:
    analytics, vectors, _ = sinks
    service.handle(message_event("s1", 0))
    vectors.down = True
    erased = UserErased(event_id="e", tenant_id="t1", user_id="u1", occurred_at=T0)

    with pytest.raises(Unavailable):
        service.handle(erased)

    # The ledger already hides the row; the row stays until its vector can be found again.
    assert analytics.inner.visible_messages() == {}
    assert len(analytics.inner.message_rows) == 1
    vectors.down = False
    service.handle(erased)
    assert analytics.inner.message_rows == []
    assert vectors.inner.points == {}


def test_search_filters_on_tenant_user_and_model(service, sinks) -> None:
    _, vectors, embedder = sinks
    service.handle(message_event("s1", 0, content="spring tides and the moon"))
    service.handle(message_event("s2", 0, content="chocolate cake recipe", user="u2"))

    query = embedder.embed_query("moon tides")
    found = vectors.inner.find_neighbors(
        query, where=VectorFilter(tenant_id="t1", model_id=embedder.model_id), limit=2
    )
    mine = vectors.inner.find_neighbors(query, where=VectorFilter(tenant_id="t1", user_id="u2"))

    assert [n.id for n in found] == ["s1-00000000", "s2-00000000"]
    assert [n.id for n in mine] == ["s2-00000000"]


def test_sinks_run_side_by_side_so_a_slow_one_does_not_delay_the_other(service, sinks) -> None:
    analytics, vectors, _ = sinks
    vector_written = threading.Event()
    upsert = vectors.inner.upsert

    def upsert_then_signal(records: Any) -> None:
        upsert(records)
        vector_written.set()

    def write_after_the_vector(records: Any) -> None:
        # A BigQuery call that hangs until the vector exists: run one after the other, this
        # would time out.
        if not vector_written.wait(timeout=5):
            raise Unavailable("timed out")

    vectors.inner.upsert = upsert_then_signal
    analytics.inner.write_messages = write_after_the_vector

    service.handle(message_event())

    assert vector_written.is_set()


def test_a_bug_in_a_sink_propagates(service, sinks) -> None:
    analytics, _, _ = sinks
    analytics.down, analytics.error = True, KeyError("bug")

    with pytest.raises(KeyError):
        service.handle(message_event())
