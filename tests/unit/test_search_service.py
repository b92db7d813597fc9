"""Search by meaning and its keyword fallback, over in-memory fakes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.adapters.in_memory.embedder import InMemoryEmbedder
from shared.adapters.in_memory.session_store import InMemorySessionStore
from shared.adapters.in_memory.vector_index import InMemoryVectorIndex
from shared.domain.errors import InvalidInput, NotFound, Unavailable
from shared.domain.models import Caller, NewMessage, Session
from shared.domain.search import SearchQuery, SearchRequest
from shared.ports.analytics_sink import MessageRecord
from shared.ports.session_store import SessionKey
from shared.ports.vector_index import Neighbor, VectorFilter
from shared.services.ingest_service import IngestService
from shared.services.message_search import MessageSearch, SearchLimits
from shared.services.outages import Outages

ALICE = Caller(tenant_id="t1", user_id="alice", auth_method="dev")
BOB = Caller(tenant_id="t1", user_id="bob", auth_method="dev")
MALLORY = Caller(tenant_id="t2", user_id="alice", auth_method="dev")
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class FlakyVectors(InMemoryVectorIndex):
    """The memory index, with an outage switch and a call counter."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.queries = 0

    def find_neighbors(
        self,
        vector: Sequence[float],
        *,
        where: VectorFilter,
        limit: int = 10,
        per_session: int | None = None,
    ) -> list[Neighbor]:
        self.queries += 1
        if self.down:
            raise Unavailable("vector search: 503")
        return super().find_neighbors(vector, where=where, limit=limit, per_session=per_session)


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class World:
    store: InMemorySessionStore
    embedder: InMemoryEmbedder
    vectors: FlakyVectors
    ticks: Ticks
    search: MessageSearch

    def converse(
        self, who: Caller, texts: list[str], *, at: datetime = T0, index: bool = True
    ) -> str:
        """A session of `who` holding `texts` (alternating user/assistant), one minute apart;
        indexed as ingest would unless `index` is False."""
        sid = f"s{len(self.store.sessions):04d}"
        session = Session(
            session_id=sid, tenant_id=who.tenant_id, user_id=who.user_id, created_at=at,
            updated_at=at, title=texts[0][:40],
        )  # fmt: skip
        new = [
            NewMessage(
                role="user" if i % 2 == 0 else "assistant",
                content=text,
                created_at=at + timedelta(minutes=i),
                metadata={},
            )
            for i, text in enumerate(texts)
        ]
        _, stored = self.store.append_messages(
            SessionKey(who.tenant_id, who.user_id, sid), new, now=at, new_session=session
        )
        if index:
            ingest = IngestService(analytics=None, embedder=self.embedder, vectors=self.vectors)  # type: ignore[arg-type]  # no analytics sink: these events never reach it
            ingest.index_messages(
                [MessageRecord(who.tenant_id, who.user_id, m.message_id, m.data()) for m in stored]
            )
        return sid


def world(*, configured: bool = True, retry_s: float = 15.0, **limits: Any) -> World:
    store, embedder, vectors, ticks = (
        InMemorySessionStore(),
        InMemoryEmbedder(),
        FlakyVectors(),
        Ticks(),
    )
    search = MessageSearch(
        store,
        (lambda: embedder) if configured else None,
        (lambda: vectors) if configured else None,
        Outages(retry_s, clock=ticks),
        SearchLimits(**limits),
    )
    return World(store, embedder, vectors, ticks, search)


def q(text: str, **kw: object) -> SearchQuery:
    return SearchQuery.from_request(SearchRequest(query=text, **kw))  # type: ignore[arg-type]  # request fields passed by name


def test_search_by_meaning_finds_only_the_callers_messages_best_first() -> None:
    w = world()
    w.converse(ALICE, ["booking a flight to paris", "sure, which dates"])
    w.converse(ALICE, ["sourdough bread recipe", "flour water salt"])
    w.converse(BOB, ["booking a flight to paris", "bob's own trip"])
    w.converse(MALLORY, ["booking a flight to paris", "another tenant"])

    answer = w.search.search(ALICE, q("flight to paris"))

    assert not answer.degraded and answer.reason is None
    assert answer.results[0].content == "booking a flight to paris"
    owners = {w.store.sessions[("t1", h.session_id)].user_id for h in answer.results}
    assert owners == {"alice"}
    assert all(h.session_id in {"s0000", "s0001"} for h in answer.results)
    scores = [h.score for h in answer.results]
    assert scores == sorted(scores, reverse=True)


def test_search_reads_text_back_and_drops_messages_deleted_since_indexing() -> None:
    w = world()
    gone = w.converse(ALICE, ["paris flight plans", "noted"])
    kept = w.converse(ALICE, ["paris museum plans", "noted too"])
    w.store.sessions.pop(("t1", gone))  # deleted in Firestore; its vectors linger

    answer = w.search.search(ALICE, q("paris plans"))

    assert answer.results and {h.session_id for h in answer.results} == {kept}


def test_search_filters_session_role_and_time_and_refuses_a_foreign_session() -> None:
    w = world()
    first = w.converse(ALICE, ["paris trip", "paris answer", "paris again"])
    w.converse(ALICE, ["paris elsewhere", "paris reply"], at=T0 + timedelta(days=1))
    theirs = w.converse(BOB, ["paris bob"])

    in_session = w.search.search(ALICE, q("paris", session_id=first))
    assert {h.session_id for h in in_session.results} == {first}
    replies = w.search.search(ALICE, q("paris", role="assistant"))
    assert {h.role for h in replies.results} == {"assistant"} and len(replies.results) == 2
    later = w.search.search(ALICE, q("paris", since=(T0 + timedelta(hours=1)).isoformat()))
    assert {h.content for h in later.results} == {"paris elsewhere", "paris reply"}
    early = w.search.search(ALICE, q("paris", until=(T0 + timedelta(minutes=1)).isoformat()))
    assert [h.content for h in early.results] == ["paris trip"]
    with pytest.raises(NotFound):
        w.search.search(ALICE, q("paris", session_id=theirs))


def test_search_pages_with_tokens_bound_to_the_query() -> None:
    w = world()
    w.converse(ALICE, [f"paris note {i}" for i in range(5)])

    first = w.search.search(ALICE, q("paris note", limit=2))
    second = w.search.search(ALICE, q("paris note", limit=2, page_token=first.next_page_token))
    third = w.search.search(ALICE, q("paris note", limit=2, page_token=second.next_page_token))

    ids = [h.message_id for page in (first, second, third) for h in page.results]
    assert len(ids) == 5 == len(set(ids))
    assert first.next_page_token and second.next_page_token and third.next_page_token is None
    with pytest.raises(InvalidInput) as other_query:
        w.search.search(ALICE, q("london", page_token=first.next_page_token))
    assert other_query.value.code == "invalid_page_token"
    with pytest.raises(InvalidInput) as garbage:
        w.search.search(ALICE, q("paris note", page_token="not-a-token"))
    assert garbage.value.code == "invalid_page_token"


def test_paging_stops_at_the_over_fetch_bound() -> None:
    w = world(max_results=3)
    w.converse(ALICE, [f"paris note {i}" for i in range(6)])

    first = w.search.search(ALICE, q("paris note", limit=2))
    second = w.search.search(ALICE, q("paris note", limit=2, page_token=first.next_page_token))

    assert len(first.results) == 2 and len(second.results) == 1
    assert second.next_page_token is None


def test_not_configured_falls_back_to_keywords_over_recent_messages() -> None:
    w = world(configured=False)
    w.converse(ALICE, ["my cat Tom likes tuna", "Tom sounds lovely"], index=False)
    w.converse(ALICE, ["gardening tips for tomatoes", "water them"], index=False)
    w.converse(BOB, ["my cat Tom likes tuna"], index=False)

    answer = w.search.search(ALICE, q("what does Tom the cat like"))

    assert answer.degraded and answer.reason == "vector_search_not_configured"
    assert [h.content for h in answer.results] == ["my cat Tom likes tuna", "Tom sounds lovely"]
    assert answer.results[0].score > answer.results[1].score > 0


def test_fallback_is_bounded_to_recent_sessions_and_messages() -> None:
    w = world(configured=False, fallback_sessions=2, fallback_messages=2)
    old = w.converse(ALICE, ["zebra facts"], at=T0, index=False)
    w.converse(ALICE, ["zebra one", "zebra two", "zebra three"], at=T0 + timedelta(days=1),
               index=False)  # fmt: skip
    w.converse(ALICE, ["nothing here"], at=T0 + timedelta(days=2), index=False)

    found = w.search.search(ALICE, q("zebra")).results

    assert [h.content for h in found] == ["zebra three", "zebra two"]
    assert old not in {h.session_id for h in found}


def test_an_outage_degrades_search_then_skips_vector_search_until_retry_time() -> None:
    w = world(retry_s=15)
    w.converse(ALICE, ["paris flight", "ok"])
    w.vectors.down = True

    first = w.search.search(ALICE, q("paris"))
    assert first.degraded and first.reason == "vector_search_unavailable"
    assert [h.content for h in first.results] == ["paris flight"]
    calls = w.vectors.queries
    w.ticks.now += 5
    assert w.search.search(ALICE, q("paris")).degraded
    assert w.vectors.queries == calls  # not tried again so soon

    w.vectors.down = False
    w.ticks.now += 11
    live = w.search.search(ALICE, q("paris"))
    assert not live.degraded and w.vectors.queries == calls + 1


def test_an_embedder_outage_is_its_own_reason() -> None:
    w = world()
    w.converse(ALICE, ["paris flight"])

    def broken(text: str) -> list[float]:
        raise Unavailable("embeddings: 503")

    w.embedder.embed_query = broken  # type: ignore[method-assign]  # the test swaps one method of its fake
    answer = w.search.search(ALICE, q("paris"))
    assert answer.degraded and answer.reason == "embeddings_unavailable"
    assert [h.content for h in answer.results] == ["paris flight"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"query": "   "}, "empty_query"),
        ({"query": "x" * 2001}, "query_too_long"),
        ({"query": "x", "limit": 0}, "invalid_limit"),
        ({"query": "x", "limit": 101}, "invalid_limit"),
        ({"query": "x", "since": "yesterday"}, "invalid_time"),
        (
            {"query": "x", "since": "2026-03-02T00:00:00Z", "until": "2026-03-01T00:00:00Z"},
            "invalid_time_range",
        ),
    ],
)
def test_bad_search_requests_have_codes(body: dict[str, object], code: str) -> None:
    with pytest.raises(InvalidInput) as error:
        SearchQuery.from_request(SearchRequest(**body))  # type: ignore[arg-type]  # request fields passed by name
    assert error.value.code == code


def test_naive_times_are_utc() -> None:
    query = q("x", since="2026-03-01T10:00:00")
    assert query.since == datetime(2026, 3, 1, 10, tzinfo=UTC)
