"""The pieces of search ranking: time words, speaker cues, keyword terms, index texts, RRF."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shared.domain.errors import Unavailable
from shared.domain.models import Message
from shared.ports.analytics_sink import MessageRecord
from shared.ports.vector_index import Neighbor, fuse, keyword_score
from shared.services.index_text import IndexTextBuilder
from shared.services.keywords import document_terms, query_terms, stem
from shared.services.speaker_cue import speaker_cue
from shared.services.time_words import time_window

NOW = datetime(2026, 6, 18, 15, 0, tzinfo=UTC)  # a Thursday


def d(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("what did I say yesterday", d(2026, 6, 17), d(2026, 6, 18)),
        ("today's plan", d(2026, 6, 18), NOW),
        ("the car last week", d(2026, 6, 8), d(2026, 6, 15)),
        ("This week, what about the car?", d(2026, 6, 15), NOW),
        ("two weeks ago", d(2026, 6, 1), d(2026, 6, 8)),
        ("3 days ago", d(2026, 6, 15), d(2026, 6, 16)),
        ("last month", d(2026, 5, 1), d(2026, 6, 1)),
        ("in April", d(2026, 4, 1), d(2026, 5, 1)),
        ("in June", d(2026, 6, 1), NOW),
        ("in December", d(2025, 12, 1), d(2026, 1, 1)),
        ("last year", d(2025, 1, 1), d(2026, 1, 1)),
    ],
)
def test_time_words_name_calendar_windows(text: str, start: datetime, end: datetime) -> None:
    window = time_window(text, NOW)
    assert window is not None and (window.start, window.end) == (start, end)


def test_no_time_words_no_window() -> None:
    assert time_window("the weekly report about may results", NOW) is None


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("What district did you recommend?", "assistant"),
        ("your tip for the pasta", "assistant"),
        ("How did you suggest structuring my diary?", "assistant"),
        ("What did I tell you about the car?", "user"),
        ("Which airline lost my suitcase?", "user"),
        ("Breakfast ideas before a long run", None),
    ],
)
def test_speaker_cues(text: str, role: str | None) -> None:
    assert speaker_cue(text) == role


def test_keyword_terms_are_stemmed_content_words_with_bm25_weights() -> None:
    assert [stem(w) for w in ("suspects", "euros", "running", "flies", "status", "e4012")] == [
        "suspect",
        "euro",
        "run",
        "fly",
        "status",
        "e4012",
    ]
    assert query_terms("What does Tomasz suspect?") == {"tomasz": 1.0, "suspect": 1.0}
    short, long = document_terms("the deploy failed"), document_terms("deploy " * 3 + "x " * 40)
    assert short["deploy"] > 1.0 > 0
    assert long["deploy"] < short["deploy"] * 3  # saturation and length normalisation
    assert keyword_score({"deploy": 1.0, "x": 1.0}, short) == short["deploy"]


def test_rrf_sums_weighted_reciprocal_ranks_and_crowds() -> None:
    a = [Neighbor("1", 0.9, "s1"), Neighbor("2", 0.8, "s1"), Neighbor("3", 0.7, "s2")]
    b = [Neighbor("3", 5.0, "s2"), Neighbor("2", 4.0, "s1")]
    fused = fuse([a, b], [1.0, 1.0], 10)
    # 3: ranks 3 and 1; 2: ranks 2 and 2 (a hair less); 1: rank 1 of one ranking only
    assert [n.id for n in fused] == ["3", "2", "1"]
    assert fused[0].distance == pytest.approx(1 / 63 + 1 / 61)
    assert fused[1].distance == pytest.approx(2 / 62)
    assert [n.id for n in fuse([a, b], [1.0, 1.0], 10, per_session=1)] == ["3", "2"]
    assert [n.id for n in fuse([a, b], [1.0, 0.0], 2)] == ["1", "2"]


def _message(session: str, seq: int, role: str, content: str) -> Message:
    return Message(
        message_id=f"{session}-{seq:08d}",
        session_id=session,
        tenant_id="t",
        user_id="u",
        seq=seq,
        role=role,  # type: ignore[arg-type]  # the test passes roles as plain strings
        content=content,
        created_at=NOW,
    )


def _record(message: Message) -> MessageRecord:
    return MessageRecord(tenant_id="t", user_id="u", event_id="e", message=message.data())


def test_a_reply_is_indexed_with_its_question_from_the_batch_or_the_store() -> None:
    question = _message("s", 0, "user", "Which neighbourhood should I stay in?")
    reply = _message("s", 1, "assistant", "Look at Alfama: calm at night.")
    reads: list[list[str]] = []

    def reader(tenant: str, user: str, ids: list[str]) -> list[Message]:
        reads.append(ids)
        return [question]

    builder = IndexTextBuilder(reader)
    both = builder.build([_record(question), _record(reply)])
    assert both[0].text == question.content  # a question stays itself
    assert both[1].text == f"{question.content}\n{reply.content}"
    assert both[1].terms["alfama"] > both[1].terms["neighbourhood"] > 0
    assert reads == []
    alone = builder.build([_record(reply)])
    assert alone[0].text == both[1].text and reads == [[question.message_id]]


def test_index_texts_survive_a_store_outage() -> None:
    def down(tenant: str, user: str, ids: list[str]) -> list[Message]:
        raise Unavailable("firestore down")

    reply = _message("s", 1, "assistant", "Look at Alfama.")
    assert IndexTextBuilder(down).build([_record(reply)])[0].text == "Look at Alfama."
    assert IndexTextBuilder(mode="none").build([_record(reply)])[0].text == "Look at Alfama."


def _search_over(messages: list[tuple[str, str, datetime]]) -> Any:

    from shared.adapters.in_memory.analytics_sink import InMemoryAnalyticsSink
    from shared.adapters.in_memory.embedder import InMemoryEmbedder
    from shared.adapters.in_memory.session_store import InMemorySessionStore
    from shared.adapters.in_memory.vector_index import InMemoryVectorIndex
    from shared.domain.models import NewMessage, Session
    from shared.ports.session_store import SessionKey
    from shared.services.ingest_service import IngestService
    from shared.services.message_search import MessageSearch
    from shared.services.outages import Outages

    store, vectors, embedder = InMemorySessionStore(), InMemoryVectorIndex(), InMemoryEmbedder()
    ingest = IngestService(analytics=InMemoryAnalyticsSink(), embedder=embedder, vectors=vectors)
    for i, (role, text, at) in enumerate(messages):
        sid = f"s{i}"
        store.create_session(
            Session(session_id=sid, tenant_id="t", user_id="u", created_at=at, updated_at=at)
        )
        new = [NewMessage(role=role, content=text, created_at=at, metadata={})]  # type: ignore[arg-type]  # roles as plain strings
        _, stored = store.append_messages(SessionKey("t", "u", sid), new, now=at)
        ingest.index_messages([_record(m) for m in stored])
    return MessageSearch(store, lambda: embedder, lambda: vectors, Outages(15.0), clock=lambda: NOW)


def test_search_ranks_up_the_time_and_the_speaker_a_query_names() -> None:
    from shared.domain.models import Caller
    from shared.domain.search import SearchQuery

    caller = Caller(tenant_id="t", user_id="u", auth_method="dev")
    search = _search_over(
        [
            ("user", "dentist appointment moved to friday", d(2026, 4, 2, 10)),
            ("user", "dentist appointment moved to friday", d(2026, 6, 17, 10)),
            ("assistant", "dentist appointment moved to friday", d(2026, 4, 2, 11)),
        ]
    )
    top = search.search(caller, SearchQuery(text="dentist appointment yesterday", limit=3))
    assert top.results[0].message_id == "s1-00000000"
    asked = search.search(
        caller, SearchQuery(text="dentist appointment: what did you say", limit=3)
    )
    assert asked.results[0].message_id == "s2-00000000"
    april = search.search(caller, SearchQuery(text="dentist appointment in April", limit=3))
    assert {h.message_id for h in april.results[:2]} == {"s0-00000000", "s2-00000000"}
    assert len(april.results) == 3  # ranked up, never filtered out
