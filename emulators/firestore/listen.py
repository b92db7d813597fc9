"""Real-time listeners: the bidirectional `Listen` stream behind the clients' `on_snapshot`.

A stream carries targets (a list of documents, or a query), each added with `add_target` and
dropped with `remove_target`. For a new target the server answers as Firestore does:
`TargetChange ADD`, a `DocumentChange` per matching document, `TargetChange CURRENT` (with a
resume token) and then a `TargetChange NO_CHANGE` without target ids, carrying the read time,
which tells the client that it holds a consistent snapshot. After every commit that touches
what a target reads, the target's results are computed again and the differences are sent:
`DocumentChange` for a document that is new or changed, `DocumentDelete` for one that was
deleted, `DocumentRemove` for one that no longer matches (or fell out of a limit), followed by
the same global `NO_CHANGE` with the commit time.

A resume token is the time it was issued at: a target added with it (or with a `read_time`)
gets only the differences since then, read from the version history (an hour); an older token
gets `TargetChange RESET` and the full results. `once` targets are removed after their first
snapshot. A target whose query is invalid (or, in strict-index mode, needs a missing index) is
removed with the error as its `cause`, as Firestore does.
"""

from __future__ import annotations

import itertools
import logging
import queue
import struct
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from google.cloud.firestore_v1.types import firestore as _fs

from . import paths as P
from .errors import RpcError, invalid
from .execute import run
from .query import Plan
from .store import HISTORY_RETENTION_US, Database, Doc, ts_to_us

log = logging.getLogger("emulators.firestore")

ListenResponse = _fs.ListenResponse.pb()
ChangeType = _fs.TargetChange.TargetChangeType
_CLOSED = object()


def resume_token(at_us: int) -> bytes:
    return struct.pack(">q", at_us)


def _token_time(token: bytes) -> int:
    if len(token) != 8:
        raise invalid("Invalid resume token.")
    return int(struct.unpack(">q", token)[0])


def _set_ts(ts: Any, micros: int) -> None:
    ts.seconds = micros // 1_000_000
    ts.nanos = (micros % 1_000_000) * 1000


@dataclass
class Target:
    id: int
    reads: Callable[[P.Path], bool]
    """Whether a write to this document path can change the target's results."""
    results: Callable[[Database, int | None], list[Doc]]
    once: bool = False
    seen: dict[str, Doc] = field(default_factory=dict)
    """What the client was told: document name -> version."""


def _documents_target(db_name: str, tid: int, names: Iterable[str]) -> Target:
    paths = [P.parse_document_name(n, db_name)[1] for n in names]
    wanted = set(paths)

    def results(db: Database, at: int | None) -> list[Doc]:
        return [d for d in (db.get_at(p, at) for p in paths) if d is not None]

    return Target(tid, wanted.__contains__, results)


def _query_target(tid: int, plan: Plan) -> Target:
    return Target(tid, plan.covers, lambda db, at: run(db, plan, at))


class ListenStream:
    """One client's stream; every method runs with the state lock held."""

    def __init__(self, database: str, compile_query: Callable[[str, Any], Plan]) -> None:
        self.database = database
        self._compile = compile_query
        self.targets: dict[int, Target] = {}
        self.out: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._ids = itertools.count(1)

    # --- requests ---------------------------------------------------------------------------
    def handle(self, db: Database, req: Any, now_us: int) -> None:
        kind = req.WhichOneof("target_change")
        if kind == "add_target":
            self._add(db, req.add_target, now_us)
        elif kind == "remove_target":
            self._remove(req.remove_target)

    def _add(self, db: Database, pb: Any, now_us: int) -> None:
        tid = pb.target_id or self._free_id()
        if tid in self.targets:
            raise invalid(f"Target id {tid} is already in use.")
        try:
            target = self._target(tid, pb)
        except RpcError as exc:
            self._emit_target(ChangeType.REMOVE, [tid], cause=exc)
            return
        since = self._since(pb)
        self.targets[tid] = target
        self._emit_target(ChangeType.ADD, [tid])
        if since is not None and since >= now_us - HISTORY_RETENTION_US:
            target.seen = {d.name: d for d in target.results(db, since)}
        elif since is not None:
            self._emit_target(ChangeType.RESET, [tid])
        self._send_changes(db, target, now_us)
        self._emit_target(ChangeType.CURRENT, [tid], token=resume_token(now_us))
        self._emit_target(ChangeType.NO_CHANGE, [], token=resume_token(now_us), at_us=now_us)
        if target.once:
            del self.targets[tid]
            self._emit_target(ChangeType.REMOVE, [tid])

    def _free_id(self) -> int:
        return next(i for i in self._ids if i not in self.targets)

    def _target(self, tid: int, pb: Any) -> Target:
        kind = pb.WhichOneof("target_type")
        if kind == "documents":
            target = _documents_target(self.database, tid, pb.documents.documents)
        elif kind == "query":
            if pb.query.WhichOneof("query_type") != "structured_query":
                raise invalid("A query target needs a structured query.")
            target = _query_target(tid, self._compile(pb.query.parent, pb.query.structured_query))
        else:
            raise invalid("A target needs documents or a query.")
        target.once = pb.once
        return target

    @staticmethod
    def _since(pb: Any) -> int | None:
        which = pb.WhichOneof("resume_type")
        if which == "resume_token" and pb.resume_token:
            return _token_time(pb.resume_token)
        if which == "read_time":
            return ts_to_us(pb.read_time)
        return None

    def _remove(self, tid: int) -> None:
        if self.targets.pop(tid, None) is not None:
            self._emit_target(ChangeType.REMOVE, [tid])

    # --- changes ----------------------------------------------------------------------------
    def on_commit(self, db: Database, changed: set[P.Path], commit_us: int) -> None:
        sent = False
        for target in list(self.targets.values()):
            if any(target.reads(p) for p in changed):
                sent = self._send_changes(db, target, commit_us) or sent
        if sent:
            token = resume_token(commit_us)
            self._emit_target(ChangeType.NO_CHANGE, [], token=token, at_us=commit_us)

    def _send_changes(self, db: Database, target: Target, at_us: int) -> bool:
        now = {d.name: d for d in target.results(db, None)}
        sent = False
        for name, doc in now.items():
            if target.seen.get(name) is not doc:
                r = ListenResponse()
                r.document_change.document.CopyFrom(doc.pb)
                r.document_change.target_ids.append(target.id)
                self.out.put(r)
                sent = True
        for name in target.seen.keys() - now.keys():
            r = ListenResponse()
            path = P.parse_document_name(name, self.database)[1]
            gone = r.document_delete if db.get(path) is None else r.document_remove
            gone.document = name
            gone.removed_target_ids.append(target.id)
            _set_ts(gone.read_time, at_us)
            self.out.put(r)
            sent = True
        target.seen = now
        return sent

    def _emit_target(
        self,
        change: int,
        ids: list[int],
        *,
        token: bytes = b"",
        at_us: int | None = None,
        cause: RpcError | None = None,
    ) -> None:
        r = ListenResponse()
        tc = r.target_change
        tc.target_change_type = change
        tc.target_ids.extend(ids)
        if token:
            tc.resume_token = token
        if at_us is not None:
            _set_ts(tc.read_time, at_us)
        if cause is not None:
            tc.cause.code = cause.code.value[0]
            tc.cause.message = cause.message
        self.out.put(r)

    def close(self) -> None:
        self.out.put(_CLOSED)


class Listeners:
    """Every open stream, told about each commit (`notify`, with the state lock held)."""

    def __init__(self) -> None:
        self._streams: set[ListenStream] = set()

    def add(self, stream: ListenStream) -> None:
        self._streams.add(stream)

    def discard(self, stream: ListenStream) -> None:
        self._streams.discard(stream)

    def notify(self, db: Database, changed: set[P.Path], commit_us: int) -> None:
        for stream in self._streams:
            if stream.database == db.name and stream.targets:
                stream.on_commit(db, changed, commit_us)

    def close_all(self) -> None:
        for stream in self._streams:
            stream.close()


def serve_stream(
    requests: Iterator[Any],
    ctx: Any,
    lock: threading.RLock,
    listeners: Listeners,
    open_stream: Callable[[Any], tuple[ListenStream, Database]],
    now_us: Callable[[Database], int],
) -> Iterator[Any]:
    """The gRPC handler body: requests are read on a thread of their own, answers come from the
    stream's queue until the client goes away, the requests end or the server stops."""
    first = next(requests, None)
    if first is None:
        return
    with lock:
        stream, db = open_stream(first)
        listeners.add(stream)
        stream.handle(db, first, now_us(db))

    def consume() -> None:
        try:
            for req in requests:
                with lock:
                    stream.handle(db, req, now_us(db))
        except RpcError as exc:
            stream.out.put(exc)
        except Exception as exc:  # the client went away (cancelled) or a bug
            if ctx.is_active():
                log.exception("Listen request failed")
                stream.out.put(exc)
        finally:
            stream.close()

    ctx.add_callback(stream.close)
    threading.Thread(target=consume, name="firestore-listen", daemon=True).start()
    try:
        while True:
            item = stream.out.get()
            if item is _CLOSED:
                return
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        with lock:
            listeners.discard(stream)
