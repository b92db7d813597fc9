"""The backfill command with in-memory history and sinks: batches, idempotent re-runs,
re-embedding, resuming from the state file."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.in_memory.analytics_sink import InMemoryAnalyticsSink
from shared.adapters.in_memory.embedder import InMemoryEmbedder
from shared.adapters.in_memory.history_source import InMemoryHistorySource
from shared.adapters.in_memory.vector_index import InMemoryVectorIndex
from shared.domain.errors import Unavailable
from shared.domain.ids import message_id
from shared.domain.models import Message, Session
from shared.services.ingest_service import IngestService
from shared.tools.backfill import EX_TEMPFAIL, Backfill, Options, Progress, StateFile, main

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def history(sessions: int = 5, messages: int = 3) -> InMemoryHistorySource:
    source = InMemoryHistorySource()
    for n in range(sessions):
        sid = f"s{n:02d}"
        tenant = "t1" if n % 2 == 0 else "t2"
        updated = T0 + timedelta(days=n)
        source.add(
            Session(
                session_id=sid,
                tenant_id=tenant,
                user_id="u1",
                message_count=messages,
                created_at=T0,
                updated_at=updated,
            ),
            [
                Message(
                    message_id=message_id(sid, seq),
                    session_id=sid,
                    tenant_id=tenant,
                    user_id="u1",
                    seq=seq,
                    role="user" if seq % 2 == 0 else "assistant",
                    content=f"{sid} says {seq}",
                    created_at=T0 + timedelta(seconds=seq),
                )
                for seq in range(messages)
            ],
        )
    return source


class Sinks:
    def __init__(self, model: str = "memory-hash") -> None:
        self.analytics = InMemoryAnalyticsSink()
        self.vectors = InMemoryVectorIndex()
        self.embedder = InMemoryEmbedder(model=model)
        self.ingest = IngestService(
            analytics=self.analytics, embedder=self.embedder, vectors=self.vectors
        )


def backfill(source: InMemoryHistorySource, sinks: Sinks, **kw: Any) -> Backfill:
    state = kw.pop("state", None)
    options = Options(**{"batch_size": 4, **kw})
    return Backfill(
        source,
        sinks.ingest,
        sinks.analytics,
        options,
        state=StateFile(state, options) if state else None,
        sleep=lambda s: None,
        retries=0,
    )


def test_fills_empty_sinks_in_batches() -> None:
    sinks = Sinks()

    stats = backfill(history(5, 3), sinks).run()

    assert (stats.sessions, stats.messages) == (5, 15)
    assert len(sinks.analytics.visible_messages()) == 15
    assert len(sinks.vectors.points) == 15
    assert len(sinks.analytics.session_rows) == 5
    # 4-message batches per page of 4 sessions: never one call per message
    assert len(sinks.embedder.calls) == stats.batches < 15


def test_rerun_duplicates_nothing_visible() -> None:
    sinks, source = Sinks(), history(4, 2)

    backfill(source, sinks).run()
    backfill(source, sinks).run()

    assert len(sinks.analytics.visible_messages()) == 8
    assert len(sinks.vectors.points) == 8


def test_tenant_and_since_select_sessions() -> None:
    sinks = Sinks()

    stats = backfill(history(6, 1), sinks, tenant="t1", since=T0 + timedelta(days=1)).run()

    assert stats.sessions == 2  # t1 has s00, s02, s04; s00 is older than --since
    assert {p.session_id for p in sinks.vectors.points.values()} == {"s02", "s04"}


def test_reembed_replaces_vectors_and_leaves_bigquery_alone() -> None:
    source, old = history(3, 2), Sinks(model="old-model")
    backfill(source, old).run()
    new = Sinks(model="new-model")
    new.vectors.points = dict(old.vectors.points)

    backfill(source, new, reembed=True).run()

    assert new.analytics.message_rows == [] and new.analytics.session_rows == []
    assert {p.model_id for p in new.vectors.points.values()} == {new.embedder.model_id}
    assert len(new.vectors.points) == 6


def test_interrupted_run_resumes_after_the_last_saved_page(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    source, sinks = history(10, 2), Sinks()
    calls = 0
    original = sinks.analytics.write_messages

    def fail_on_third_batch(records: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise Unavailable("bigquery down")
        original(records)

    sinks.analytics.write_messages = fail_on_third_batch  # type: ignore[method-assign]  # the test swaps one method of its fake

    with pytest.raises(Unavailable):
        backfill(source, sinks, state=state).run()

    saved = json.loads(state.read_text())
    assert saved["cursor"] == "t1/s06"  # the first page of 4 sessions (sorted by tenant, id)
    rows_before = len(sinks.analytics.message_rows)
    sinks.analytics.write_messages = original  # type: ignore[method-assign]  # the test swaps one method of its fake

    stats = backfill(source, sinks, state=state).run()

    assert not state.exists()  # complete
    assert stats.sessions == 10 and stats.messages == 20
    assert len(sinks.analytics.visible_messages()) == 20
    # the saved page was not read again: 8 rows before, 12 more after
    assert len(sinks.analytics.message_rows) - rows_before == 12


def test_state_file_of_other_options_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    StateFile(state, Options(tenant="t1")).save("t1/s00", backfill(history(), Sinks()).run())

    with pytest.raises(ValueError, match="other --state-file"):
        backfill(history(), Sinks(), tenant="t2", state=state).run()


def test_transient_failures_are_retried_with_backoff() -> None:
    sinks, sleeps = Sinks(), list[float]()
    failures = iter([Unavailable("blip"), Unavailable("blip")])
    original = sinks.vectors.upsert

    def flaky(records: Any) -> None:
        for error in failures:
            raise error
        original(records)

    sinks.vectors.upsert = flaky  # type: ignore[method-assign]  # the test swaps one method of its fake
    options = Options(batch_size=100)
    Backfill(
        history(1, 2), sinks.ingest, sinks.analytics, options, sleep=sleeps.append, retries=3
    ).run()

    assert sleeps == [1, 2]
    assert len(sinks.vectors.points) == 2


def test_main_exits_75_and_keeps_the_state_when_a_dependency_stays_down(
    tmp_path: Path, capsys
) -> None:
    sinks = Sinks()
    sinks.vectors.upsert = lambda records: (_ for _ in ()).throw(Unavailable("down"))  # type: ignore[method-assign]  # the test swaps one method of its fake

    class FakeServices:
        history = history(2, 1)
        ingest = sinks.ingest
        analytics = sinks.analytics

    state = tmp_path / "s.json"
    code = main(["--state-file", str(state), "--retries", "0"], services=FakeServices())

    assert code == EX_TEMPFAIL
    assert "resume with --state-file" in capsys.readouterr().err


def test_progress_without_tqdm_writes_one_line(monkeypatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_tqdm(name: str, *args: Any, **kw: Any) -> Any:
        if name == "tqdm":
            raise ImportError(name)
        return real_import(name, *args, **kw)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    stream = io.StringIO()
    progress = Progress(stream)
    sinks = Sinks()
    Backfill(history(2, 2), sinks.ingest, sinks.analytics, Options(), progress=progress).run()

    output = stream.getvalue()
    last_line = output.rsplit("\r", 1)[1]
    assert last_line.startswith("backfill: 2 sessions, 4 messages, ")
    assert last_line.endswith(" msg/s\n")
