"""The gRPC service `google.firestore.v1.Firestore`, on the protos google-cloud-firestore ships.

Shaped like Go's pstest: `Server` starts an in-process gRPC server; all state lives in
`Database` objects keyed by `projects/{p}/databases/{d}`, behind one lock; each RPC locks,
validates, mutates and returns the proto. Errors carry Firestore's gRPC codes; an unexpected
exception becomes INTERNAL (logged with its traceback) and the server keeps serving.
"""

from __future__ import annotations

import base64
import logging
import random
import string
import threading
import time
from collections.abc import Callable, Iterable
from concurrent import futures
from typing import Any

import grpc
from google.cloud.firestore_v1.types import aggregation_result as _agg
from google.cloud.firestore_v1.types import document as _doc
from google.cloud.firestore_v1.types import firestore as _fs
from google.cloud.firestore_v1.types import query as _q
from google.cloud.firestore_v1.types import query_profile as _qp
from google.cloud.firestore_v1.types import write as _write
from google.protobuf import empty_pb2
from google.rpc import code_pb2, status_pb2

from . import paths as P
from .errors import RpcError, invalid, not_found
from .indexes import IndexConfig
from .query import Plan, compile_query, project, run
from .store import Database, Doc, ts_to_us
from .transactions import Transactions, Txn
from .values import INT64_MAX, INT64_MIN, Value, is_number, make_null, number_of
from .writes import check_unique_targets, stage

log = logging.getLogger("emulators.firestore")

SERVICE = "google.firestore.v1.Firestore"
DEFAULT_LIST_PAGE = 300
MAX_AGGREGATIONS = 5
PRUNE_EVERY_COMMITS = 5000  # forget versions older than the read_time window now and then
AUTO_ID_CHARS = string.ascii_letters + string.digits
_random = random.SystemRandom()


def _pb(cls: Any) -> Any:
    return cls.pb()


class FirestoreState:
    """Every database, the transactions, the index declarations; one lock guards them all."""

    def __init__(self, index_config: IndexConfig | None = None, strict: bool = False) -> None:
        self.lock = threading.RLock()
        self.dbs: dict[str, Database] = {}
        self.txns = Transactions()
        self.index_config = index_config
        self.strict = strict
        self.dirty = False
        self.commits = 0

    def db(self, name: str) -> Database:
        d = self.dbs.get(name)
        if d is None:
            d = self.dbs[name] = Database(name)
        return d

    # --- test hooks (like pstest's): not RPCs ------------------------------------------------
    def clear(self) -> None:
        with self.lock:
            self.dbs.clear()


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
            return project(db.get(P.parse_document_name(name)[1]), mask)

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
            return project(db.get(path), mask)

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
            for path, d in page:
                self.s.txns.record_read(txn, db, path)
                if d is None:
                    resp.documents.add().name = P.document_name(db_name, path)
                else:
                    resp.documents.append(project(d, mask))
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
        if txn is not None:
            try:
                if txn.read_only and len(writes):
                    raise invalid("Cannot modify entities in a read-only transaction.")
                if not txn.read_only:
                    self.s.txns.validate(txn, db, lambda plan: run(db, plan))
            finally:
                self.s.txns.end(txn)
        commit_us = db.next_commit_time()
        self.s.commits += 1
        if self.s.commits % PRUNE_EVERY_COMMITS == 0:
            db.prune(commit_us)
        staged, results = stage(db, writes, commit_us)
        for path, new in staged.items():
            old = db.get(path)
            if old is not new:
                db.put(path, new, commit_us)
                self.s.dirty = True
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
        aggs = _aggregations(saq.aggregations)
        plan = self._plan(db_name, parent, saq.structured_query)
        resp = _pb(_fs.RunAggregationQueryResponse)()
        with self.s.lock:
            db = self.s.db(db_name)
            txn, at, began = self._read_context(db, req)
            read_us = at if at is not None else self._now_us(db)
            docs = run(db, plan, at)
            self.s.txns.record_query(txn, plan, docs)
        fields = _aggregated_fields(saq.aggregations)
        if fields:  # Firestore aggregates only documents that have every aggregated field
            docs = [d for d in docs if all(d.value(fp) is not None for fp in fields)]
        for alias, fn in aggs:
            resp.result.aggregate_fields[alias].CopyFrom(fn(docs))
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

    def unimplemented(self, name: str) -> Callable:
        def handler(req: Any, ctx: Any) -> Any:
            raise RpcError(
                grpc.StatusCode.UNIMPLEMENTED, f"{name} is not implemented by this emulator."
            )

        return handler


def _aggregations(aggs: Any) -> list[tuple[str, Callable[[list[Doc]], Any]]]:
    if not aggs:
        raise invalid("An aggregation query needs at least one aggregation.")
    if len(aggs) > MAX_AGGREGATIONS:
        raise invalid(f"An aggregation query supports at most {MAX_AGGREGATIONS} aggregations.")
    out: list[tuple[str, Callable]] = []
    n = 0
    aliases = []
    for a in aggs:
        if a.alias:
            aliases.append(a.alias)
        else:
            n += 1
            aliases.append(f"field_{n}")
    for a, alias in zip(aggs, aliases, strict=True):
        if aliases.count(alias) > 1:
            raise invalid(f"Aggregation aliases contain duplicate alias: {alias}.")
        kind = a.WhichOneof("operator")
        if kind == "count":
            up_to = a.count.up_to.value if a.count.HasField("up_to") else None
            if up_to is not None and up_to <= 0:
                raise invalid("count up_to must be positive.")
            out.append((alias, _count(up_to)))
        elif kind in ("sum", "avg"):
            fp = P.parse_field_path(getattr(a, kind).field.field_path)
            out.append((alias, _sum(fp) if kind == "sum" else _avg(fp)))
        else:
            raise invalid("An aggregation needs count, sum or avg.")
    return out


def _aggregated_fields(aggs: Any) -> list[P.Path]:
    out = []
    for a in aggs:
        kind = a.WhichOneof("operator")
        if kind in ("sum", "avg"):
            out.append(P.parse_field_path(getattr(a, kind).field.field_path))
    return out


def _count(up_to: int | None) -> Callable[[list[Doc]], Any]:
    def fn(docs: list[Doc]) -> Any:
        v = Value()
        v.integer_value = len(docs) if up_to is None else min(len(docs), up_to)
        return v

    return fn


def _numbers(docs: list[Doc], fp: P.Path) -> Iterable[int | float]:
    for d in docs:
        v = d.value(fp)
        if v is not None and is_number(v):
            yield number_of(v)


def _sum(fp: P.Path) -> Callable[[list[Doc]], Any]:
    def fn(docs: list[Doc]) -> Any:
        ints, floats, saw_float = 0, 0.0, False
        for n in _numbers(docs, fp):
            if isinstance(n, int):
                ints += n
            else:
                floats += n
                saw_float = True
        v = Value()
        if not saw_float and INT64_MIN <= ints <= INT64_MAX:
            v.integer_value = ints
        else:
            v.double_value = float(ints) + floats
        return v

    return fn


def _avg(fp: P.Path) -> Callable[[list[Doc]], Any]:
    def fn(docs: list[Doc]) -> Any:
        total, count = 0, 0
        for n in _numbers(docs, fp):
            total += n
            count += 1
        if not count:
            return make_null()
        v = Value()
        v.double_value = total / count
        return v

    return fn


# --- wiring -----------------------------------------------------------------------------------

_UNARY = {
    "GetDocument": _fs.GetDocumentRequest,
    "ListDocuments": _fs.ListDocumentsRequest,
    "CreateDocument": _fs.CreateDocumentRequest,
    "UpdateDocument": _fs.UpdateDocumentRequest,
    "DeleteDocument": _fs.DeleteDocumentRequest,
    "BeginTransaction": _fs.BeginTransactionRequest,
    "Commit": _fs.CommitRequest,
    "Rollback": _fs.RollbackRequest,
    "PartitionQuery": _fs.PartitionQueryRequest,
    "ListCollectionIds": _fs.ListCollectionIdsRequest,
    "BatchWrite": _fs.BatchWriteRequest,
}
_STREAM = {
    "BatchGetDocuments": _fs.BatchGetDocumentsRequest,
    "RunQuery": _fs.RunQueryRequest,
    "RunAggregationQuery": _fs.RunAggregationQueryRequest,
}
_UNIMPLEMENTED_STREAM = {"ExecutePipeline": _fs.ExecutePipelineRequest}
_UNIMPLEMENTED_BIDI = {"Write": _fs.WriteRequest, "Listen": _fs.ListenRequest}


def _abort(ctx: Any, exc: BaseException, method: str) -> None:
    if isinstance(exc, RpcError):
        ctx.abort(exc.code, exc.message)
    log.exception("internal error in %s", method)
    ctx.abort(grpc.StatusCode.INTERNAL, f"Internal emulator error in {method}: {exc!r}")


def _wrap_unary(method: str, fn: Callable) -> Callable:
    def handler(req: Any, ctx: Any) -> Any:
        try:
            return fn(req, ctx)
        except Exception as exc:
            _abort(ctx, exc, method)

    return handler


def _wrap_stream(method: str, fn: Callable) -> Callable:
    def handler(req: Any, ctx: Any) -> Iterable[Any]:
        try:
            items = fn(req, ctx)
        except Exception as exc:
            _abort(ctx, exc, method)
        yield from items

    return handler


def _serialize(msg: Any) -> bytes:
    return msg.SerializeToString()


def generic_handler(servicer: Servicer) -> grpc.GenericRpcHandler:
    handlers = {}
    for name, req in _UNARY.items():
        handlers[name] = grpc.unary_unary_rpc_method_handler(
            _wrap_unary(name, getattr(servicer, name)),
            request_deserializer=req.pb().FromString,
            response_serializer=_serialize,
        )
    for name, req in _STREAM.items():
        handlers[name] = grpc.unary_stream_rpc_method_handler(
            _wrap_stream(name, getattr(servicer, name)),
            request_deserializer=req.pb().FromString,
            response_serializer=_serialize,
        )
    for name, req in _UNIMPLEMENTED_STREAM.items():
        handlers[name] = grpc.unary_stream_rpc_method_handler(
            _wrap_stream(name, servicer.unimplemented(name)),
            request_deserializer=req.pb().FromString,
            response_serializer=_serialize,
        )
    for name, req in _UNIMPLEMENTED_BIDI.items():
        impl = servicer.unimplemented(name)

        def bidi(it: Any, ctx: Any, _impl: Callable = impl, _name: str = name) -> Iterable[Any]:
            try:
                _impl(None, ctx)
            except Exception as exc:
                _abort(ctx, exc, _name)
            yield from ()

        handlers[name] = grpc.stream_stream_rpc_method_handler(
            bidi, request_deserializer=req.pb().FromString, response_serializer=_serialize
        )
    return grpc.method_handlers_generic_handler(SERVICE, handlers)


class Server:
    """An in-process emulator: `Server(port=0).start()`, then `address`, then `stop()`."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        indexes: str | None = None,
        strict_indexes: bool = False,
        data_dir: str | None = None,
        save_interval_s: float = 30.0,
        max_workers: int = 16,
    ) -> None:
        self.host = host
        self.state = FirestoreState(IndexConfig(indexes) if indexes else None, strict_indexes)
        if strict_indexes and self.state.index_config is None:
            self.state.index_config = IndexConfig(None)
        self.data_dir = data_dir
        self.save_interval_s = save_interval_s
        self._server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="firestore"),
            options=[
                ("grpc.max_receive_message_length", 32 * 1024 * 1024),
                ("grpc.max_send_message_length", 32 * 1024 * 1024),
                ("grpc.so_reuseport", 0),
            ],
        )
        self._server.add_generic_rpc_handlers((generic_handler(Servicer(self.state)),))
        self.port = self._server.add_insecure_port(f"{host}:{port}")
        if not self.port:
            raise OSError(f"cannot listen on {host}:{port}")
        self._stop = threading.Event()
        self._saver: threading.Thread | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> Server:
        if self.data_dir:
            from .persistence import load

            load(self.state, self.data_dir)
            self._saver = threading.Thread(target=self._save_loop, daemon=True)
            self._saver.start()
        self._server.start()
        return self

    def save(self) -> None:
        if self.data_dir:
            from .persistence import save

            save(self.state, self.data_dir)

    def _save_loop(self) -> None:
        while not self._stop.wait(self.save_interval_s):
            if self.state.dirty:
                try:
                    self.save()
                except Exception:
                    log.exception("periodic save failed")

    def stop(self, grace: float | None = 1.0) -> None:
        self._stop.set()
        self._server.stop(grace).wait()
        self.save()

    def wait(self) -> None:
        self._server.wait_for_termination()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# Referenced so the proto modules the service speaks are visible in one place.
_PROTO_MODULES = (_agg, _doc, _q, _qp)
