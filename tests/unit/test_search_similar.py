"""Similar conversations over in-memory fakes."""

from __future__ import annotations

import pytest

from shared.domain.errors import NotFound, Unavailable
from shared.services.message_search import MessageSearch
from shared.services.outages import Outages
from shared.services.similar_sessions import SimilarSessions
from tests.unit.test_search_service import ALICE, BOB, World, q, world


def similar(w: World, *, configured: bool = True) -> SimilarSessions:
    return SimilarSessions(
        w.store,
        (lambda: w.embedder) if configured else None,
        (lambda: w.vectors) if configured else None,
        Outages(15, clock=w.ticks),
    )


def test_a_session_on_the_same_topic_ranks_above_unrelated_ones() -> None:
    w = world()
    trip = w.converse(ALICE, ["flight to paris in may", "paris hotels near the louvre"])
    same = w.converse(ALICE, ["cheap paris flight", "the louvre in may"])
    other = w.converse(ALICE, ["sourdough starter", "feed it flour daily"])
    w.converse(BOB, ["flight to paris in may", "paris hotels near the louvre"])

    found = similar(w).find(ALICE, trip, limit=5)

    assert [s.session_id for s in found][:2] == [same, other]
    assert found[0].score > found[1].score
    assert found[0].title == "cheap paris flight"
    assert found[0].sample in {"cheap paris flight", "the louvre in may"}
    assert trip not in {s.session_id for s in found}


def test_limit_and_deleted_sessions() -> None:
    w = world()
    base = w.converse(ALICE, ["paris trip"])
    gone = w.converse(ALICE, ["paris trip again"])
    kept = [w.converse(ALICE, [f"paris visit {i}"]) for i in range(3)]
    w.store.sessions.pop(("t1", gone))

    found = similar(w).find(ALICE, base, limit=2)

    assert len(found) == 2 and {s.session_id for s in found} <= set(kept)


def test_foreign_session_is_404_and_empty_session_has_no_neighbours() -> None:
    w = world()
    theirs = w.converse(BOB, ["paris"])
    empty = w.converse(ALICE, ["   "])
    with pytest.raises(NotFound):
        similar(w).find(ALICE, theirs, limit=5)
    assert similar(w).find(ALICE, empty, limit=5) == []


def test_unavailable_or_not_configured_is_503_similar_unavailable() -> None:
    w = world()
    sid = w.converse(ALICE, ["paris"])
    with pytest.raises(Unavailable) as off:
        similar(w, configured=False).find(ALICE, sid, limit=5)
    assert off.value.code == "similar_unavailable" and off.value.retry_after_s

    w.vectors.down = True
    service = similar(w)
    with pytest.raises(Unavailable) as down:
        service.find(ALICE, sid, limit=5)
    assert down.value.code == "similar_unavailable"
    calls = w.vectors.queries
    with pytest.raises(Unavailable) as again:
        service.find(ALICE, sid, limit=5)
    assert w.vectors.queries == calls and 1 <= (again.value.retry_after_s or 0) <= 15


def test_a_failure_seen_by_similar_degrades_search_with_a_search_reason() -> None:
    w = world()
    sid = w.converse(ALICE, ["paris"])
    outages = Outages(15, clock=w.ticks)
    service = SimilarSessions(w.store, lambda: w.embedder, lambda: w.vectors, outages)
    search = MessageSearch(w.store, lambda: w.embedder, lambda: w.vectors, outages)
    w.vectors.down = True
    with pytest.raises(Unavailable):
        service.find(ALICE, sid, limit=5)

    answer = search.search(ALICE, q("paris"))

    assert answer.degraded and answer.reason == "vector_search_unavailable"
