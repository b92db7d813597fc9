"""Backfill and re-embed: copy stored conversations from Firestore into BigQuery and the vector
index, in batches.

    python -m shared.tools.backfill [--tenant T] [--since 2026-11-01] [--reembed]
                                    [--batch-size 200] [--state-file backfill.json]

Used to fill a new environment, to repair gaps, and with `--reembed` (vectors only) after the
embedding model changes. Every copy is keyed by the deterministic message id, so re-running
duplicates nothing anyone can see. Sessions are read in pages in a stable order; after each
page is fully written, the cursor is saved to the state file, so an interrupted run resumes
where it stopped (`--state-file`, removed when the run completes). A model with another vector
size needs a new index (HS_VECTOR_INDEX) before re-embedding: indexes have a fixed size.

Exit status: 0 done; 2 bad arguments; 75 a dependency stayed unavailable (resume later).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO, TypeVar

from shared.domain.errors import Unavailable
from shared.domain.ids import session_event_id
from shared.domain.models import Message, Session
from shared.ports.analytics_sink import AnalyticsSink, MessageRecord, SessionRecord
from shared.ports.history_source import HistorySource
from shared.services.ingest_service import IngestService

EX_USAGE, EX_TEMPFAIL = 2, 75
T = TypeVar("T")


@dataclass(frozen=True)
class Options:
    tenant: str | None = None
    since: datetime | None = None
    reembed: bool = False
    batch_size: int = 200


@dataclass
class Stats:
    sessions: int = 0
    messages: int = 0
    indexed: int = 0
    batches: int = 0


class StateFile:
    """The resume point: written atomically after each page, removed when the run completes."""

    def __init__(self, path: Path, options: Options) -> None:
        self.path = path
        self._options = {
            "tenant": options.tenant,
            "since": options.since.isoformat() if options.since else None,
            "reembed": options.reembed,
        }

    def load(self) -> tuple[str | None, Stats]:
        if not self.path.exists():
            return None, Stats()
        state = json.loads(self.path.read_text())
        if state.get("options") != self._options:
            raise ValueError(
                f"{self.path} belongs to a run with options {state.get('options')}; "
                "use the same options or another --state-file"
            )
        return state["cursor"], Stats(**state["stats"])

    def save(self, cursor: str, stats: Stats) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(
            json.dumps({"options": self._options, "cursor": cursor, "stats": asdict(stats)})
        )
        os.replace(tmp, self.path)

    def complete(self) -> None:
        self.path.unlink(missing_ok=True)


class Progress:
    """tqdm when it is installed, else one refreshed line on stderr."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self._stream = stream
        self._started = time.monotonic()
        self._shown = 0.0
        try:
            from tqdm import tqdm
        except ImportError:
            self._bar = None
        else:
            self._bar = tqdm(unit="msg", desc="backfill", file=stream, dynamic_ncols=True)

    def update(self, stats: Stats, messages: int) -> None:
        if self._bar is not None:
            self._bar.set_postfix(sessions=stats.sessions, refresh=False)
            self._bar.update(messages)
            return
        now = time.monotonic()
        if now - self._shown >= 0.5:
            self._shown = now
            self._line(stats, now)

    def close(self, stats: Stats) -> None:
        if self._bar is not None:
            self._bar.close()
        else:
            self._line(stats, time.monotonic())
            self._stream.write("\n")

    def _line(self, stats: Stats, now: float) -> None:
        rate = stats.messages / max(now - self._started, 1e-9)
        self._stream.write(
            f"\rbackfill: {stats.sessions} sessions, {stats.messages} messages, {rate:.0f} msg/s"
        )
        self._stream.flush()


class Backfill:
    def __init__(
        self,
        source: HistorySource,
        ingest: IngestService,
        analytics: AnalyticsSink,
        options: Options,
        *,
        state: StateFile | None = None,
        progress: Progress | None = None,
        retries: int = 5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._source = source
        self._ingest = ingest
        self._analytics = analytics
        self._options = options
        self._state = state
        self._progress = progress
        self._retries = retries
        self._sleep = sleep

    def run(self) -> Stats:
        cursor, stats = self._state.load() if self._state else (None, Stats())
        try:
            self._run(cursor, stats)
        finally:
            if self._progress:
                self._progress.close(stats)
        return stats

    def _run(self, cursor: str | None, stats: Stats) -> None:
        size = self._options.batch_size
        while page := self._source.scan_sessions(
            tenant_id=self._options.tenant, after=cursor, limit=size
        ):
            sessions = [s.session for s in page if self._wanted(s.session)]
            buffer: list[MessageRecord] = []
            for session in sessions:
                for messages in self._source.messages(session, page_size=size):
                    buffer.extend(_record(session, m) for m in messages)
                    if len(buffer) >= size:
                        self._flush(buffer, stats)
                        buffer = []
                stats.sessions += 1
            self._flush(buffer, stats)
            if not self._options.reembed and sessions:
                rows = [_session_record(s) for s in sessions]
                self._retrying(functools.partial(self._analytics.write_sessions, rows))
            cursor = page[-1].cursor
            if self._state:
                self._state.save(cursor, stats)
        if self._state:
            self._state.complete()

    def _wanted(self, session: Session) -> bool:
        return self._options.since is None or session.updated_at >= self._options.since

    def _flush(self, records: Sequence[MessageRecord], stats: Stats) -> None:
        if not records:
            return
        self._retrying(
            lambda: self._ingest.ingest_messages(records, analytics=not self._options.reembed)
        )
        stats.messages += len(records)
        stats.indexed += sum(1 for r in records if self._ingest.indexable(r))
        stats.batches += 1
        if self._progress:
            self._progress.update(stats, len(records))

    def _retrying(self, call: Callable[[], T]) -> T:
        """Ride out short outages with backoff; a longer one ends the run (resumable)."""
        for attempt in range(self._retries + 1):
            try:
                return call()
            except Unavailable:
                if attempt == self._retries:
                    raise
                self._sleep(min(2**attempt, 30))
        raise AssertionError("unreachable")


def _record(session: Session, message: Message) -> MessageRecord:
    return MessageRecord(
        tenant_id=session.tenant_id,
        user_id=session.user_id,
        event_id=f"{message.message_id}.backfill",
        message=message.data(),
    )


def _session_record(session: Session) -> SessionRecord:
    return SessionRecord(
        tenant_id=session.tenant_id,
        user_id=session.user_id,
        # One id per stored state: a re-run repeats it, the next change gets another.
        event_id=session_event_id(session.session_id, "backfill", session.version),
        change="archived" if session.status == "archived" else "updated",
        occurred_at=session.updated_at,
        session=session.data(),
    )


def _since(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO date or datetime: {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def parse_args(argv: Sequence[str] | None = None) -> tuple[Options, Path | None, int]:
    parser = argparse.ArgumentParser(
        prog="python -m shared.tools.backfill",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--tenant", help="only this tenant (default: every tenant)")
    parser.add_argument(
        "--since",
        type=_since,
        help="only sessions updated at or after this (every session document is still read once)",
    )
    parser.add_argument(
        "--reembed", action="store_true", help="vectors only: re-embed with the current model"
    )
    parser.add_argument("--batch-size", type=_positive, default=200, help="messages per write")
    parser.add_argument("--state-file", type=Path, help="resume point; kept until the run ends")
    parser.add_argument(
        "--retries", type=int, default=5, help="retries of a batch while a dependency is down"
    )
    args = parser.parse_args(argv)
    options = Options(args.tenant, args.since, args.reembed, args.batch_size)
    return options, args.state_file, args.retries


def main(argv: Sequence[str] | None = None, services: Any = None) -> int:
    options, state_path, retries = parse_args(argv)
    if services is None:
        from shared.bootstrap import services as process_services

        services = process_services()
    state = StateFile(state_path, options) if state_path else None
    backfill = Backfill(
        services.history,
        services.ingest,
        services.analytics,
        options,
        state=state,
        progress=Progress(),
        retries=retries,
    )
    try:
        stats = backfill.run()
    except ValueError as exc:
        print(f"backfill: {exc}", file=sys.stderr)
        return EX_USAGE
    except Unavailable as exc:
        where = f"; resume with --state-file {state_path}" if state_path else ""
        print(f"\nbackfill: stopped, {exc.message}{where}", file=sys.stderr)
        return EX_TEMPFAIL
    print(
        f"backfill: {stats.sessions} sessions, {stats.messages} messages "
        f"({stats.indexed} indexed) in {stats.batches} batches",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
