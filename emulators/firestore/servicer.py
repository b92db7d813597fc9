"""The servicer of `google.firestore.v1.Firestore`: one method per RPC.

Each RPC locks the one state lock, validates, reads or mutates the `Database`, and returns the
proto. Errors are `RpcError`s with Firestore's gRPC codes (`rpc.py` turns them into statuses).
"""

from __future__ import annotations

import base64
import random
import string
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import grpc
from google.cloud.firestore_v1.types import firestore as _fs
from google.cloud.firestore_v1.types import write as _write
from google.protobuf import empty_pb2
from google.rpc import code_pb2, status_pb2

from . import paths as P
from .aggregations import Aggregations
from .errors import RpcError, invalid, not_found
from .execute import run
from .listen import ListenStream, serve_stream
from .query import Plan, compile_query, project
from .store import Database, Doc, ts_to_us
from .transactions import Txn
from .writes import check_unique_targets, parse_write_target, stage

if TYPE_CHECKING:
    from .server import FirestoreState

DEFAULT_LIST_PAGE = 300
PRUNE_EVERY_COMMITS = 5000  # forget versions older than the read_time window now and then
AUTO_ID_CHARS = string.ascii_letters + string.digits
_random = random.SystemRandom()


def _pb(cls: Any) -> Any:
    return cls.pb()


class Servicer:
    def __init__(self, state: FirestoreState) -> None:
        self.s = state

    # --- helpers ----------------------------------------------------------------------------
    def _now_us(self, db: Database) -> int:
        return max(time.time_ns() // 1000, db.last_commit_us)

    def _read_context(
        self, db: Database, req: Any, selector: str = "consistency_selector"
    ) -> tuple[Txn | None, int | None, bytes | None]:
        """(transaction, read time, id of a transaction this request began)."""
        kind = req.WhichOneof(selector) if selector else None
        if kind == "transaction":
            txn = self.s.txns.get(db, req.transaction)
            return txn, txn.read_us, None
        if kind == "new_transaction":
            txn = self.s.txns.begin(db, req.new_transaction)
            return txn, txn.read_us, txn.id
        if kind == "read_time":
            at = ts_to_us(req.read_time)
            if at > self._now_us(db) + 60_000_000:
                raise invalid("read_time must not be in the future.")
            return None, at, None
        return None, None, None

    @staticmethod
    def _set_ts(ts: Any, micros: int) -> None:
        ts.seconds = micros // 1_000_000
        ts.nanos = (micros % 1_000_000) * 1000

    def _mask(self, req: Any) -> list[P.Path] | None:
        if not req.HasField("mask"):
            return None
        return [P.parse_field_path(p) for p in req.mask.field_paths]

    # --- documents --------------------------------------------------------------------------
    def GetDocument(self, req: Any, ctx: Any) -> Any:
        db_name, path = P.parse_document_name(req.name)
        mask = self._mask(req)
        with self.s.lock:
            db = self.s.db(db_name)
            txn, at, _ = self._read_context(db, req)
            doc = db.get_at(path, at)
            self.s.txns.record_read(txn, db, path)
            if doc is None:
                raise not_found(f"Document ({req.name}) not found.")
            return project(doc, mask)

    def CreateDocument(self, req: Any, ctx: Any) -> Any:
        db_name, parent = P.parse_parent(req.parent)
        P.check_collection_id(req.collection_id)
        doc_id = req.document_id or "".join(_random.choice(AUTO_ID_CHARS) for _ in range(20))
        name = P.document_name(db_name, (*parent, req.collection_id, doc_id))
        P.parse_document_name(name)
        w = _pb(_write.Write)()
        w.update.CopyFrom(req.document)
        w.update.name = name
        w.current_document.exists = False
        mask = self._mask(req)
        with self.s.lock:
            db = self.s.db(db_name)
            self._commit(db, [w], None)
            return project(_written(db.get(P.parse_document_name(name)[1])), mask)

    def UpdateDocument(self, req: Any, ctx: Any) -> Any:
        db_name, path = P.parse_document_name(req.document.name)
        w = _pb(_write.Write)()
        w.update.CopyFrom(req.document)
        if req.HasField("update_mask"):
            w.update_mask.CopyFrom(req.update_mask)
        if req.HasField("current_document"):
            w.current_document.CopyFrom(req.current_document)
        mask = self._mask(req)
        with self.s.lock:
            db = self.s.db(db_name)
            self._commit(db, [w], None)
            return project(_written(db.get(path)), mask)

    def DeleteDocument(self, req: Any, ctx: Any) -> Any:
        db_name, _ = P.parse_document_name(req.name)
        w = _pb(_write.Write)()
        w.delete = req.name
        if req.HasField("current_document"):
            w.current_document.CopyFrom(req.current_document)
        with self.s.lock:
            self._commit(self.s.db(db_name), [w], None)
        return empty_pb2.Empty()

    def BatchGetDocuments(self, req: Any, ctx: Any) -> list[Any]:
        db_name = P.parse_database(req.database)
        paths = [P.parse_document_name(n, db_name)[1] for n in req.documents]
        mask = self._mask(req)
        Resp = _pb(_fs.BatchGetDocumentsResponse)
        out = []
        with self.s.lock:
            db = self.s.db(db_name)
            txn, at, began = self._read_context(db, req)
            read_us = at if at is not None else self._now_us(db)
            for name, path in zip(req.documents, paths, strict=True):
                r = Resp()
                doc = db.get_at(path, at)
                self.s.txns.record_read(txn, db, path)
                if doc is None:
                    r.missing = name
                else:
                    r.found.CopyFrom(project(doc, mask))
                self._set_ts(r.read_time, read_us)
                out.append(r)
        if began is not None:
            if not out:
                out.append(Resp())
            out[0].transaction = began
        return out

    def ListDocuments(self, req: Any, ctx: Any) -> Any:
        db_name, parent = P.parse_parent(req.parent)
        if req.collection_id:
            P.check_collection_id(req.collection_id)
        if req.page_size < 0:
            raise invalid("page_size must not be negative.")
        desc = False
        order = req.order_by.strip()
        if order:
            parts = order.split()
            if (
                parts[0] != "__name__"
                or len(parts) > 2
                or (len(parts) == 2 and parts[1].lower() not in ("asc", "desc"))
            ):
                raise invalid(f'Unsupported order_by "{req.order_by}": only __name__ is supported.')
            desc = len(parts) == 2 and parts[1].lower() == "desc"
        after = None
        if req.page_token:
            try:
                after = base64.urlsafe_b64decode(req.page_token.encode()).decode()
            except Exception as exc:
                raise invalid("Invalid page token.") from exc
        mask = self._mask(req)
        page_size = req.page_size or DEFAULT_LIST_PAGE
        with self.s.lock:
            db = self.s.db(db_name)
            txn, at, _ = self._read_context(db, req)
            cids = [req.collection_id] if req.collection_id else db.collection_ids(parent)
            entries: list[tuple[P.Path, Doc | None]] = []
            for cid in cids:
                coll = db.collection((*parent, cid))
                if coll is None:
                    continue
                for d in db.docs_at(coll, at):
                    entries.append((d.path, d))
                if req.show_missing:
                    for doc_id in db.missing_ids(coll):
                        entries.append(((*coll.path, doc_id), None))
            entries.sort(key=lambda e: e[0], reverse=desc)
            if after is not None:
                after_path = P.parse_document_name(after, db_name)[1]
                entries = [e for e in entries if (e[0] < after_path if desc else e[0] > after_path)]
            page = entries[:page_size]
            resp = _pb(_fs.ListDocumentsResponse)()
            for path, listed in page:
                self.s.txns.record_read(txn, db, path)
                if listed is None:
                    resp.documents.add().name = P.document_name(db_name, path)
                else:
                    resp.documents.append(project(listed, mask))
            if len(entries) > page_size:
                last = P.document_name(db_name, page[-1][0])
                resp.next_page_token = base64.urlsafe_b64encode(last.encode()).decode()
            return resp

    def ListCollectionIds(self, req: Any, ctx: Any) -> Any:
        db_name, parent = P.parse_parent(req.parent)
        if req.page_size < 0:
            raise invalid("page_size must not be negative.")
        with self.s.lock:
            db = self.s.db(db_name)
            _, at, _ = self._read_context(db, req)
            if at is not None and at < db.last_commit_us:
                ids = sorted(
                    {
                        c.path[-1]
                        for c in db.colls.values()
                        if c.path[:-1] == parent and db.docs_at(c, at)
                    }
                )
            else:
                ids = db.collection_ids(parent)
        if req.page_token:
            ids = [i for i in ids if i > req.page_token]
        size = req.page_size or DEFAULT_LIST_PAGE
        resp = _pb(_fs.ListCollectionIdsResponse)()
        resp.collection_ids.extend(ids[:size])
        if len(ids) > size:
            resp.next_page_token = ids[size - 1]
        return resp

    # --- writes -----------------------------------------------------------------------------
    def _commit(self, db: Database, writes: Any, txn: Txn | None) -> tuple[list[Any], int]:
        """Apply `writes` atomically (caller holds the lock); the results and commit time."""
        locks = self.s.txns.locks
        if txn is not None:
            try:
                if txn.read_only and len(writes):
                    raise invalid("Cannot modify entities in a read-only transaction.")
                if locks is not None:
                    targets = [parse_write_target(db.name, w) for w in writes]
                    locks.wait_writable(txn.id, db.name, targets)
                if not txn.read_only:
                    self.s.txns.validate(txn, db, lambda plan: run(db, plan))
            finally:
                self.s.txns.end(txn)
        elif locks is not None:
            locks.wait_writable(None, db.name, [parse_write_target(db.name, w) for w in writes])
        commit_us = db.next_commit_time()
        self.s.commits += 1
        if self.s.commits % PRUNE_EVERY_COMMITS == 0:
            db.prune(commit_us)
        staged, results = stage(db, writes, commit_us)
        changed = set()
        for path, new in staged.items():
            old = db.get(path)
            if old is not new:
                db.put(path, new, commit_us)
                changed.add(path)
        if changed:
            self.s.dirty = True
            self.s.listeners.notify(db, changed, commit_us)
        return results, commit_us

    def Commit(self, req: Any, ctx: Any) -> Any:
        db_name = P.parse_database(req.database)
        with self.s.lock:
            db = self.s.db(db_name)
            txn = self.s.txns.get(db, req.transaction) if req.transaction else None
            results, commit_us = self._commit(db, req.writes, txn)
        resp = _pb(_fs.CommitResponse)()
        resp.write_results.extend(results)
        self._set_ts(resp.commit_time, commit_us)
        return resp

    def BatchWrite(self, req: Any, ctx: Any) -> Any:
        db_name = P.parse_database(req.database)
        check_unique_targets(db_name, req.writes)
        resp = _pb(_fs.BatchWriteResponse)()
        with self.s.lock:
            db = self.s.db(db_name)
            for w in req.writes:
                st = status_pb2.Status()
                try:
                    (res,), _ = self._commit(db, [w], None)
                    resp.write_results.append(res)
                    st.code = code_pb2.OK
                except RpcError as exc:
                    resp.write_results.add()
                    st.code = exc.code.value[0]
                    st.message = exc.message
                resp.status.append(st)
        return resp

    # --- transactions -----------------------------------------------------------------------
    def BeginTransaction(self, req: Any, ctx: Any) -> Any:
        db_name = P.parse_database(req.database)
        with self.s.lock:
            txn = self.s.txns.begin(
                self.s.db(db_name), req.options if req.HasField("options") else None
            )
        resp = _pb(_fs.BeginTransactionResponse)()
        resp.transaction = txn.id
        return resp

    def Rollback(self, req: Any, ctx: Any) -> Any:
        db_name = P.parse_database(req.database)
        if not req.transaction:
            raise invalid("Missing transaction.")
        with self.s.lock:
            self.s.txns.rollback(self.s.db(db_name), req.transaction)
        return empty_pb2.Empty()

    # --- queries ----------------------------------------------------------------------------
    def _plan(self, db_name: str, parent: P.Path, sq: Any) -> Plan:
        plan = compile_query(db_name, parent, sq)
        if self.s.strict and self.s.index_config is not None:
            self.s.index_config.check(plan, db_name.split("/")[1])
        return plan

    def RunQuery(self, req: Any, ctx: Any) -> list[Any]:
        db_name, parent = P.parse_parent(req.parent)
        if req.WhichOneof("query_type") != "structured_query":
            raise invalid("RunQuery needs a structured query.")
        plan = self._plan(db_name, parent, req.structured_query)
        Resp = _pb(_fs.RunQueryResponse)
        out = []
        with self.s.lock:
            db = self.s.db(db_name)
            txn, at, began = self._read_context(db, req)
            read_us = at if at is not None else self._now_us(db)
            docs = run(db, plan, at)
            self.s.txns.record_query(txn, plan, docs)
            for d in docs:
                r = Resp()
                r.document.CopyFrom(project(d, plan.projection))
                self._set_ts(r.read_time, read_us)
                out.append(r)
        if not out:
            r = Resp()
            self._set_ts(r.read_time, read_us)
            out.append(r)
        if began is not None:
            out[0].transaction = began
        if req.HasField("explain_options"):
            self._explain(out[-1].explain_metrics, req.explain_options, len(docs))
        return out

    @staticmethod
    def _explain(metrics: Any, options: Any, n: int) -> None:
        metrics.plan_summary.SetInParent()
        if options.analyze:
            metrics.execution_stats.results_returned = n
            metrics.execution_stats.read_operations = max(n, 1)

    def RunAggregationQuery(self, req: Any, ctx: Any) -> list[Any]:
        db_name, parent = P.parse_parent(req.parent)
        if req.WhichOneof("query_type") != "structured_aggregation_query":
            raise invalid("RunAggregationQuery needs a structured aggregation query.")
        saq = req.structured_aggregation_query
        aggregations = Aggregations(saq.aggregations)
        plan = self._plan(db_name, parent, saq.structured_query)
        resp = _pb(_fs.RunAggregationQueryResponse)()
        with self.s.lock:
            db = self.s.db(db_name)
            txn, at, began = self._read_context(db, req)
            read_us = at if at is not None else self._now_us(db)
            docs = run(db, plan, at)
            self.s.txns.record_query(txn, plan, docs)
        for alias, value in aggregations(docs).items():
            resp.result.aggregate_fields[alias].CopyFrom(value)
        self._set_ts(resp.read_time, read_us)
        if began is not None:
            resp.transaction = began
        if req.HasField("explain_options"):
            self._explain(resp.explain_metrics, req.explain_options, 1)
        return [resp]

    def PartitionQuery(self, req: Any, ctx: Any) -> Any:
        db_name, parent = P.parse_parent(req.parent)
        sq = req.structured_query
        if req.partition_count <= 0:
            raise invalid("partition_count must be positive.")
        if len(sq.from_) != 1 or not sq.from_[0].all_descendants:
            raise invalid("PartitionQuery supports only collection-group queries.")
        if sq.HasField("where") or sq.HasField("start_at") or sq.HasField("end_at"):
            raise invalid("PartitionQuery does not support filters or cursors.")
        if any(o.field.field_path != "__name__" for o in sq.order_by):
            raise invalid("PartitionQuery queries must be ordered by __name__ only.")
        plan = self._plan(db_name, parent, sq)
        with self.s.lock:
            db = self.s.db(db_name)
            _, at, _ = self._read_context(db, req)
            docs = run(db, plan, at)
        resp = _pb(_fs.PartitionQueryResponse)()
        n = min(req.partition_count, len(docs) or 1)
        for i in range(1, n):
            cur = resp.partitions.add()
            cur.values.add().reference_value = docs[i * len(docs) // n].name
        return resp

    # --- real-time listeners ----------------------------------------------------------------
    def Listen(self, requests: Iterator[Any], ctx: Any) -> Iterator[Any]:
        def open_stream(first: Any) -> tuple[ListenStream, Database]:
            db_name = P.parse_database(first.database)

            def compile_target(parent: str, sq: Any) -> Plan:
                parent_db, parent_path = P.parse_parent(parent)
                if parent_db != db_name:
                    raise invalid("A target's parent must be in the stream's database.")
                return self._plan(db_name, parent_path, sq)

            return ListenStream(db_name, compile_target), self.s.db(db_name)

        return serve_stream(requests, ctx, self.s.lock, self.s.listeners, open_stream, self._now_us)

    def unimplemented(self, name: str) -> Callable:
        def handler(req: Any, ctx: Any) -> Any:
            raise RpcError(
                grpc.StatusCode.UNIMPLEMENTED, f"{name} is not implemented by this emulator."
            )

        return handler


def _written(doc: Doc | None) -> Doc:
    """A document this servicer has just committed, read back under the same lock."""
    if doc is None:
        raise AssertionError("a committed write was not readable")
    return doc
