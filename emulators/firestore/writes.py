"""Applying `Write`s: preconditions, replace / merge under an update mask, field transforms.

`stage` computes the new versions of every document a list of writes touches, against the
current state plus the earlier writes of the same list, without changing anything; `Commit`
applies what it returns only when every write succeeded (all or nothing).
"""

from __future__ import annotations

from typing import Any

from google.cloud.firestore_v1.types import write as _write

from .errors import RpcError, already_exists, failed_precondition, invalid, not_found
from .paths import Path, parse_document_name, parse_field_path
from .store import Database, Doc, make_doc, ts_to_us
from .values import (
    INT64_MAX,
    INT64_MIN,
    ArrayValue,
    MapValue,
    Value,
    document_size,
    is_number,
    make_null,
    make_number,
    make_timestamp,
    number_of,
    set_field,
    validate_fields,
    validate_value,
    value_key,
)
from .values import (
    delete_field as _delete_field,
)
from .values import (
    get_field as _get_field,
)

WriteResult = _write.WriteResult.pb()
MAX_DOCUMENT_BYTES = 1_048_576


def parse_write_target(db_name: str, w: Any) -> Path:
    op = w.WhichOneof("operation")
    if op == "update":
        return parse_document_name(w.update.name, db_name)[1]
    if op == "delete":
        return parse_document_name(w.delete, db_name)[1]
    if op == "transform":
        return parse_document_name(w.transform.document, db_name)[1]
    raise invalid("A write must have an operation (update, delete or transform).")


def stage(
    database: Database, writes: Any, commit_us: int
) -> tuple[dict[Path, Doc | None], list[Any]]:
    """New versions of the documents `writes` touch, and one WriteResult per write."""
    staged: dict[Path, Doc | None] = {}
    results = []
    for w in writes:
        path = parse_write_target(database.name, w)
        old = staged[path] if path in staged else database.get(path)
        new, result = _apply(database.name, path, old, w, commit_us)
        staged[path] = new
        results.append(result)
    return staged, results


def _check_precondition(w: Any, old: Doc | None, name: str) -> None:
    if not w.HasField("current_document"):
        return
    cond = w.current_document
    kind = cond.WhichOneof("condition_type")
    if kind == "exists":
        if cond.exists and old is None:
            raise not_found(f"No document to update: {name}")
        if not cond.exists and old is not None:
            raise already_exists(f"Document already exists: {name}")
    elif kind == "update_time":
        want = ts_to_us(cond.update_time)
        if old is None or old.update_us != want:
            raise failed_precondition(
                f"the stored version ({old.update_us if old else 0}) does not match the "
                f"required base version ({want})"
            )


def _apply(db_name: str, path: Path, old: Doc | None, w: Any, commit_us: int):
    op = w.WhichOneof("operation")
    name = old.name if old is not None else f"{db_name}/documents/" + "/".join(path)
    result = WriteResult()
    if op == "delete":
        if w.update_transforms or w.HasField("update_mask"):
            raise invalid("A delete cannot have an update mask or transforms.")
        _check_precondition(w, old, name)
        return None, result

    transforms = list(w.update_transforms)
    fields = MapValue()
    if op == "update":
        validate_fields(w.update.fields)
        if w.HasField("update_mask"):
            masks = [parse_field_path(p) for p in w.update_mask.field_paths]
            if old is not None:
                fields.fields.MergeFrom(old.pb.fields)
            for fp in masks:
                v = _get_field(w.update.fields, fp)
                if v is None:
                    _delete_field(fields.fields, fp)
                else:
                    set_field(fields.fields, fp, v)
        else:
            fields.fields.MergeFrom(w.update.fields)
    else:  # "transform": the deprecated stand-alone DocumentTransform
        transforms = list(w.transform.field_transforms)
        if old is not None:
            fields.fields.MergeFrom(old.pb.fields)
    _check_precondition(w, old, name)

    seen: set[Path] = set()
    for t in transforms:
        fp = parse_field_path(t.field_path)
        if fp in seen:
            raise invalid(f"Field {t.field_path} is transformed more than once in one write.")
        seen.add(fp)
        result.transform_results.append(_transform(fields.fields, fp, t, commit_us))

    new = make_doc(db_name, path, fields.fields, old.create_us if old else commit_us, commit_us)
    if document_size(path, new.pb.fields) > MAX_DOCUMENT_BYTES:
        raise invalid(
            f"Document {name} cannot be written because its size exceeds the maximum allowed "
            "size of 1,048,576 bytes."
        )
    if old is not None and old.pb.fields == new.pb.fields:
        new = old  # nothing changed: Firestore keeps the previous update_time
    result.update_time.CopyFrom(new.pb.update_time)
    return new, result


def _transform(fields: Any, fp: Path, t: Any, commit_us: int) -> Any:
    kind = t.WhichOneof("transform_type")
    cur = _get_field(fields, fp)
    if kind == "set_to_server_value":
        if (
            t.set_to_server_value
            != _write.DocumentTransform.FieldTransform.ServerValue.REQUEST_TIME
        ):
            raise invalid("Unknown server value.")
        v = make_timestamp(commit_us)
        set_field(fields, fp, v)
        return v
    if kind in ("increment", "maximum", "minimum"):
        operand = getattr(t, kind)
        if not is_number(operand):
            raise invalid(f"{kind} transforms need an integer or double operand.")
        if cur is None or not is_number(cur):
            v = operand
        elif kind == "increment":
            v = _increment(cur, operand)
        else:
            v = _extreme(cur, operand, kind == "maximum")
        set_field(fields, fp, v)
        return v
    if kind in ("append_missing_elements", "remove_all_from_array"):
        elems = getattr(t, kind).values
        for e in elems:
            validate_value(e, 1, True)
        existing = (
            list(cur.array_value.values)
            if cur is not None and cur.WhichOneof("value_type") == "array_value"
            else []
        )
        out = ArrayValue()
        if kind == "append_missing_elements":
            keys = {value_key(x) for x in existing}
            out.values.extend(existing)
            for e in elems:
                k = value_key(e)
                if k not in keys:
                    keys.add(k)
                    out.values.append(e)
        else:
            drop = {value_key(e) for e in elems}
            out.values.extend(x for x in existing if value_key(x) not in drop)
        arr = Value()
        arr.array_value.CopyFrom(out)
        set_field(fields, fp, arr)
        return make_null()
    raise invalid(f"Field transform on {t.field_path} has no transform set.")


def _increment(cur: Any, operand: Any) -> Any:
    a, b = number_of(cur), number_of(operand)
    if isinstance(a, int) and isinstance(b, int):
        return make_number(min(max(a + b, INT64_MIN), INT64_MAX))
    return make_number(float(a) + float(b))


def _extreme(cur: Any, operand: Any, want_max: bool) -> Any:
    a, b = number_of(cur), number_of(operand)
    if a != a:
        return cur
    if b != b:
        return operand
    if a == b:
        return cur
    return operand if (b > a) == want_max else cur


def check_unique_targets(db_name: str, writes: Any) -> None:
    seen: set[Path] = set()
    for w in writes:
        p = parse_write_target(db_name, w)
        if p in seen:
            raise invalid("the same document cannot be written more than once in a single request")
        seen.add(p)


__all__ = ["RpcError", "check_unique_targets", "stage"]
