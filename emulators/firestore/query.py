"""StructuredQuery: validation, Firestore's implicit ordering, filters, cursors, projections.

`compile_query` turns the proto into a `Plan` (or raises INVALID_ARGUMENT); `execute.run` runs
a plan, `nearest.py` holds `find_nearest`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from google.cloud.firestore_v1.types import query as _query

from .errors import invalid
from .nearest import compile_nearest
from .paths import Path, canonical_field_path, parse_document_name, parse_field_path
from .store import NAME_PATH, Doc
from .values import (
    ARRAY,
    NAN,
    NULL,
    REFERENCE,
    Document,
    get_field,
    is_nan,
    is_null,
    set_field,
    value_key,
)

SQ = _query.StructuredQuery
FieldOp = SQ.FieldFilter.Operator
UnaryOp = SQ.UnaryFilter.Operator
Direction = SQ.Direction

INEQUALITY_OPS = {
    FieldOp.LESS_THAN,
    FieldOp.LESS_THAN_OR_EQUAL,
    FieldOp.GREATER_THAN,
    FieldOp.GREATER_THAN_OR_EQUAL,
    FieldOp.NOT_EQUAL,
    FieldOp.NOT_IN,
}
OP_NAMES = {
    FieldOp.LESS_THAN: "<",
    FieldOp.LESS_THAN_OR_EQUAL: "<=",
    FieldOp.GREATER_THAN: ">",
    FieldOp.GREATER_THAN_OR_EQUAL: ">=",
    FieldOp.EQUAL: "==",
    FieldOp.NOT_EQUAL: "!=",
    FieldOp.ARRAY_CONTAINS: "array-contains",
    FieldOp.IN: "in",
    FieldOp.ARRAY_CONTAINS_ANY: "array-contains-any",
    FieldOp.NOT_IN: "not-in",
}
MAX_DISJUNCTIONS = 30
MAX_IN_VALUES = 30
MAX_NOT_IN_VALUES = 10


Pred = Callable[[Doc], bool]


@dataclass
class Term:
    """One leaf filter, kept for index planning: field, kind (eq / contains / range / ...)."""

    field: Path
    kind: str  # "eq", "contains", "ineq", "unary_eq", "unary_ineq"


@dataclass
class Plan:
    parent: Path
    collection_id: str
    all_descendants: bool
    pred: Pred | None
    orders: list[tuple[Path, bool]]  # (field, descending)
    explicit_orders: int
    start: tuple[list[tuple], bool] | None = None  # (keys, before)
    end: tuple[list[tuple], bool] | None = None
    offset: int = 0
    limit: int | None = None
    projection: list[Path] | None = None
    nearest: Any = None
    dnf: list[list[Term]] = field(default_factory=list)

    def covers(self, doc: Path) -> bool:
        """Whether a document at `doc` is in the collection(s) the query reads."""
        if not self.all_descendants:
            return doc[:-1] == (*self.parent, self.collection_id)
        n = len(self.parent)
        return (
            len(doc) > n
            and doc[:n] == self.parent
            and (not self.collection_id or doc[-2] == self.collection_id)
        )


# --- compiling ------------------------------------------------------------------------------


def compile_query(db_name: str, parent: Path, sq: Any) -> Plan:
    if len(sq.from_) != 1:
        raise invalid("A query must select exactly one collection (from).")
    sel = sq.from_[0]
    if not sel.collection_id and not sel.all_descendants:
        raise invalid("A collection query needs a collection id.")
    if sel.collection_id and ("/" in sel.collection_id):
        raise invalid(f'Invalid collection id "{sel.collection_id}".')

    ineq: list[Path] = []
    pred: Pred | None = None
    dnf: list[list[Term]] = [[]]
    if sq.HasField("where"):
        pred, dnf = _compile_filter(db_name, sq.where, ineq)
        if len(dnf) > MAX_DISJUNCTIONS:
            raise invalid(
                f"Query has {len(dnf)} disjunctions in disjunctive normal form; the limit is "
                f"{MAX_DISJUNCTIONS}."
            )
        _check_combinations(sq.where, dnf)

    orders: list[tuple[Path, bool]] = []
    for o in sq.order_by:
        fp = parse_field_path(o.field.field_path)
        if any(fp == f for f, _ in orders):
            raise invalid(f"order by clause cannot contain duplicate fields {o.field.field_path}")
        orders.append((fp, o.direction == Direction.DESCENDING))
    explicit = len(orders)
    last_desc = orders[-1][1] if orders else False
    have = {f for f, _ in orders}
    for fp in sorted(set(ineq)):
        if fp not in have:
            orders.append((fp, last_desc))
            have.add(fp)
    if NAME_PATH not in have:
        orders.append((NAME_PATH, last_desc))

    plan = Plan(
        parent=parent,
        collection_id=sel.collection_id,
        all_descendants=sel.all_descendants,
        pred=pred,
        orders=orders,
        explicit_orders=explicit,
        dnf=dnf,
    )
    if sq.HasField("start_at"):
        plan.start = (_cursor_keys(db_name, plan, sq.start_at, "start"), sq.start_at.before)
    if sq.HasField("end_at"):
        plan.end = (_cursor_keys(db_name, plan, sq.end_at, "end"), sq.end_at.before)
    if sq.offset < 0:
        raise invalid("offset is negative")
    plan.offset = sq.offset
    if sq.HasField("limit"):
        if sq.limit.value < 0:
            raise invalid("limit is negative")
        plan.limit = sq.limit.value
    if sq.HasField("select"):
        plan.projection = [parse_field_path(f.field_path) for f in sq.select.fields]
    if sq.HasField("find_nearest"):
        plan.nearest = compile_nearest(sq.find_nearest)
    return plan


def _cursor_keys(db_name: str, plan: Plan, cursor: Any, which: str) -> list[tuple]:
    if len(cursor.values) > len(plan.orders):
        raise invalid(
            f"Cursor has too many values: the {which} cursor has {len(cursor.values)} values "
            f"but the query orders by {len(plan.orders)} fields."
        )
    keys = []
    for (fp, _), v in zip(plan.orders, cursor.values, strict=False):
        if fp == NAME_PATH:
            if v.WhichOneof("value_type") != "reference_value":
                raise invalid("A cursor value for __name__ must be a document reference.")
            _, path = parse_document_name(v.reference_value, db_name)
            _check_name_in_scope(plan, path, v.reference_value)
        keys.append(value_key(v))
    return keys


def _check_name_in_scope(plan: Plan, path: Path, ref: str) -> None:
    n = len(plan.parent)
    if path[:n] != plan.parent or len(path) <= n:
        raise invalid(f"Cursor reference {ref} is not within the queried parent.")
    if not plan.all_descendants and (len(path) != n + 2 or path[n] != plan.collection_id):
        raise invalid(
            f"Cursor reference {ref} must be a document directly in collection "
            f"{plan.collection_id}."
        )


def _compile_filter(db_name: str, f: Any, ineq: list[Path]) -> tuple[Pred, list[list[Term]]]:
    kind = f.WhichOneof("filter_type")
    if kind == "composite_filter":
        cf = f.composite_filter
        if cf.op not in (SQ.CompositeFilter.Operator.AND, SQ.CompositeFilter.Operator.OR):
            raise invalid("A composite filter needs the operator AND or OR.")
        if not cf.filters:  # Firestore treats an empty composite as no filter
            return (lambda d: True), [[]]
        parts = [_compile_filter(db_name, sub, ineq) for sub in cf.filters]
        preds = [p for p, _ in parts]
        if cf.op == SQ.CompositeFilter.Operator.AND:
            dnf: list[list[Term]] = [[]]
            for _, sub in parts:
                dnf = [a + b for a in dnf for b in sub]
                if len(dnf) > 10 * MAX_DISJUNCTIONS:
                    break
            if len(preds) == 1:
                return preds[0], dnf
            return (lambda d: all(p(d) for p in preds)), dnf
        dnf = [c for _, sub in parts for c in sub]
        if len(preds) == 1:
            return preds[0], dnf
        return (lambda d: any(p(d) for p in preds)), dnf
    if kind == "field_filter":
        return _compile_field_filter(db_name, f.field_filter, ineq)
    if kind == "unary_filter":
        uf = f.unary_filter
        if uf.WhichOneof("operand_type") != "field":
            raise invalid("A unary filter needs a field.")
        fp = parse_field_path(uf.field.field_path)
        return _unary(fp, uf.op, ineq)
    raise invalid("A filter must be a composite, field or unary filter.")


def _unary(fp: Path, op: int, ineq: list[Path]) -> tuple[Pred, list[list[Term]]]:
    if op == UnaryOp.IS_NAN:
        target = (NAN,)
        return (lambda d: d.key(fp) == target), [[Term(fp, "eq")]]
    if op == UnaryOp.IS_NULL:
        target = (NULL,)
        return (lambda d: d.key(fp) == target), [[Term(fp, "eq")]]
    if op == UnaryOp.IS_NOT_NAN:
        ineq.append(fp)
        bad = {(NAN,), (NULL,)}  # Firestore's IS_NOT_NAN also excludes null

        def not_nan(d: Doc) -> bool:
            k = d.key(fp)
            return k is not None and k not in bad

        return not_nan, [[Term(fp, "ineq")]]
    if op == UnaryOp.IS_NOT_NULL:
        ineq.append(fp)
        null = (NULL,)

        def not_null(d: Doc) -> bool:
            k = d.key(fp)
            return k is not None and k != null

        return not_null, [[Term(fp, "ineq")]]
    raise invalid("A unary filter needs an operator (IS_NAN, IS_NULL, IS_NOT_NAN, IS_NOT_NULL).")


def _compile_field_filter(db_name: str, ff: Any, ineq: list[Path]) -> tuple[Pred, list]:
    fp = parse_field_path(ff.field.field_path)
    op = ff.op
    v = ff.value
    if op not in OP_NAMES:
        raise invalid("Unknown FieldFilter operator.")
    if v.WhichOneof("value_type") is None:
        raise invalid(f"The filter on {ff.field.field_path} has no value.")
    if op in (FieldOp.IN, FieldOp.NOT_IN, FieldOp.ARRAY_CONTAINS_ANY):
        name = FieldOp(op).name
        if v.WhichOneof("value_type") != "array_value":
            raise invalid(f"'{name}' requires an ArrayValue.")
        if not v.array_value.values:
            raise invalid(f"'{name}' requires an non-empty ArrayValue.")
        n = len(v.array_value.values)
        cap = MAX_NOT_IN_VALUES if op == FieldOp.NOT_IN else MAX_IN_VALUES
        if n > cap:
            raise invalid(f"'{name}' supports up to {cap} comparison values.")
        elems = list(v.array_value.values)
        if fp == NAME_PATH:
            for e in elems:
                _check_name_value(db_name, e)
        keys = {value_key(e) for e in elems}
        if op == FieldOp.IN:
            in_keys = keys - {(NULL,)}  # a null in the list matches nothing (as Google's)
            return (lambda d: d.key(fp) in in_keys), [[Term(fp, "eq")] for _ in elems]
        if op == FieldOp.ARRAY_CONTAINS_ANY:

            def contains_any(d: Doc) -> bool:
                k = d.key(fp)
                return k is not None and k[0] == ARRAY and any(e in keys for e in k[1])

            return contains_any, [[Term(fp, "contains")] for _ in elems]
        ineq.append(fp)

        def not_in(d: Doc) -> bool:
            k = d.key(fp)
            return k is not None and k[0] != NULL and k not in keys

        return not_in, [[Term(fp, "ineq")]]

    if fp == NAME_PATH and op != FieldOp.ARRAY_CONTAINS:
        _check_name_value(db_name, v)
    if is_null(v) or is_nan(v):
        if op == FieldOp.EQUAL:
            return _unary(fp, UnaryOp.IS_NULL if is_null(v) else UnaryOp.IS_NAN, ineq)
        if op == FieldOp.NOT_EQUAL:
            return _unary(fp, UnaryOp.IS_NOT_NULL if is_null(v) else UnaryOp.IS_NOT_NAN, ineq)
        # a range on null or NaN is allowed, and bounded by type like any other
    target = value_key(v)
    if op == FieldOp.EQUAL:
        return (lambda d: d.key(fp) == target), [[Term(fp, "eq")]]
    if op == FieldOp.ARRAY_CONTAINS:

        def contains(d: Doc) -> bool:
            k = d.key(fp)
            return k is not None and k[0] == ARRAY and target in k[1]

        return contains, [[Term(fp, "contains")]]
    ineq.append(fp)
    tag = target[0]
    if op == FieldOp.NOT_EQUAL:

        def ne(d: Doc) -> bool:
            k = d.key(fp)
            return k is not None and k[0] != NULL and k != target

        return ne, [[Term(fp, "ineq")]]
    cmp = {
        FieldOp.LESS_THAN: lambda k: k < target,
        FieldOp.LESS_THAN_OR_EQUAL: lambda k: k <= target,
        FieldOp.GREATER_THAN: lambda k: k > target,
        FieldOp.GREATER_THAN_OR_EQUAL: lambda k: k >= target,
    }[op]

    def ranged(d: Doc) -> bool:
        k = d.key(fp)
        return k is not None and k[0] == tag and cmp(k)

    return ranged, [[Term(fp, "ineq")]]


def _check_name_value(db_name: str, v: Any) -> None:
    if v.WhichOneof("value_type") != "reference_value":
        raise invalid("A filter on __name__ must compare with document references.")
    parse_document_name(v.reference_value, db_name)


def _leaf_ops(f: Any) -> Iterable[str]:
    """The operator name of every field and unary filter."""
    kind = f.WhichOneof("filter_type")
    if kind == "composite_filter":
        for sub in f.composite_filter.filters:
            yield from _leaf_ops(sub)
    elif kind == "field_filter":
        ff = f.field_filter
        v = ff.value
        if ff.op == FieldOp.NOT_EQUAL and (is_null(v) or is_nan(v)):
            yield "IS_NOT_NULL" if is_null(v) else "IS_NOT_NAN"
        else:
            yield FieldOp(ff.op).name
    elif kind == "unary_filter":
        yield UnaryOp(f.unary_filter.op).name


def _has_or(f: Any) -> bool:
    if f.WhichOneof("filter_type") != "composite_filter":
        return False
    cf = f.composite_filter
    if cf.op == SQ.CompositeFilter.Operator.OR and len(cf.filters) > 1:
        return True
    return any(_has_or(s) for s in f.composite_filter.filters)


def _check_combinations(where: Any, dnf: list[list[Term]]) -> None:
    """The operator combinations Firestore refuses (messages as Google's emulator words them)."""
    ops = list(_leaf_ops(where))
    negations = sum(ops.count(o) for o in ("NOT_EQUAL", "NOT_IN", "IS_NOT_NAN", "IS_NOT_NULL"))
    if negations > 1:
        raise invalid(
            "Only a single 'NOT_EQUAL', 'NOT_IN', 'IS_NOT_NAN', or 'IS_NOT_NULL' filter allowed "
            "per query."
        )
    if "NOT_IN" in ops and ("IN" in ops or "ARRAY_CONTAINS_ANY" in ops or _has_or(where)):
        raise invalid(
            "'NOT_IN' cannot be used in the same query with 'IN', 'ARRAY_CONTAINS_ANY' or 'OR'."
        )
    for conj in dnf:
        if sum(1 for t in conj if t.kind == "contains") > 1:
            raise invalid("A maximum of 1 'ARRAY_CONTAINS' filter is allowed per disjunction.")


def project(doc: Doc, paths: list[Path] | None) -> Any:
    """The document proto to send: whole, or only the selected field paths."""
    if paths is None:
        return doc.pb
    pb = Document()
    pb.name = doc.pb.name
    pb.create_time.CopyFrom(doc.pb.create_time)
    pb.update_time.CopyFrom(doc.pb.update_time)
    for fp in paths:
        if fp == NAME_PATH:
            continue
        v = get_field(doc.pb.fields, fp)
        if v is not None:
            set_field(pb.fields, fp, v)
    return pb


def describe_field(fp: Path) -> str:
    return canonical_field_path(fp)


__all__ = ["REFERENCE", "Plan", "compile_query", "project"]
