"""Firestore values: the cross-type ordering, equality, validation and nested field access.

Every value maps to a *sort key*, a plain Python tuple whose natural order is Firestore's order:
null < booleans < NaN < numbers (integers and doubles compared numerically, -0.0 == 0) <
timestamps < strings (UTF-8 order, which is code-point order) < bytes < references (segment by
segment) < geo points (latitude, then longitude) < arrays (element-wise, shorter prefix first) <
vectors (by dimension, then element-wise) < maps (key/value pairs in key order).
Two values are equal for queries exactly when their keys are equal (so 1 == 1.0).
"""

from __future__ import annotations

import math
from typing import Any

from google.cloud.firestore_v1.types import document as _document

from .errors import invalid

Value = _document.Value.pb()
MapValue = _document.MapValue.pb()
ArrayValue = _document.ArrayValue.pb()
Document = _document.Document.pb()

NULL, BOOL, NAN, NUMBER, TIMESTAMP, STRING, BYTES, REFERENCE, GEO, ARRAY, VECTOR, MAP = range(12)
TYPE_NAMES = {
    NULL: "null",
    BOOL: "boolean",
    NAN: "NaN",
    NUMBER: "number",
    TIMESTAMP: "timestamp",
    STRING: "string",
    BYTES: "bytes",
    REFERENCE: "reference",
    GEO: "geo point",
    ARRAY: "array",
    VECTOR: "vector",
    MAP: "map",
}
MAX_DEPTH = 20
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# Timestamps Firestore accepts: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999999Z.
MIN_SECONDS, MAX_SECONDS = -62135596800, 253402300799


def is_vector_map(fields: Any) -> bool:
    if "__type__" not in fields or "value" not in fields:
        return False
    t = fields["__type__"]
    return t.WhichOneof("value_type") == "string_value" and t.string_value == "__vector__"


def value_key(v: Any) -> tuple:
    """The sort key of a Value (see the module docstring)."""
    kind = v.WhichOneof("value_type")
    if kind == "string_value":
        return (STRING, v.string_value)
    if kind == "integer_value":
        return (NUMBER, v.integer_value)
    if kind == "double_value":
        d = v.double_value
        return (NAN,) if d != d else (NUMBER, d)
    if kind == "timestamp_value":
        ts = v.timestamp_value
        return (TIMESTAMP, ts.seconds, ts.nanos)
    if kind == "boolean_value":
        return (BOOL, v.boolean_value)
    if kind == "null_value" or kind is None:
        return (NULL,)
    if kind == "map_value":
        fields = v.map_value.fields
        if is_vector_map(fields):
            vals = fields["value"]
            if vals.WhichOneof("value_type") == "array_value":
                elems = tuple(value_key(x) for x in vals.array_value.values)
                return (VECTOR, len(elems), elems)
        return (MAP, tuple((k, value_key(fields[k])) for k in sorted(fields.keys())))
    if kind == "array_value":
        return (ARRAY, tuple(value_key(x) for x in v.array_value.values))
    if kind == "bytes_value":
        return (BYTES, v.bytes_value)
    if kind == "reference_value":
        return (REFERENCE, tuple(v.reference_value.split("/")))
    if kind == "geo_point_value":
        g = v.geo_point_value
        return (GEO, g.latitude, g.longitude)
    raise invalid(f"Value of kind {kind} is not supported here.")


def type_order(v: Any) -> int:
    return value_key(v)[0]


def is_number(v: Any) -> bool:
    kind = v.WhichOneof("value_type")
    return kind == "integer_value" or kind == "double_value"


def is_nan(v: Any) -> bool:
    return v.WhichOneof("value_type") == "double_value" and math.isnan(v.double_value)


def is_null(v: Any) -> bool:
    return v.WhichOneof("value_type") == "null_value"


def number_of(v: Any) -> int | float:
    return v.integer_value if v.WhichOneof("value_type") == "integer_value" else v.double_value


def make_number(n: int | float) -> Any:
    out = Value()
    if isinstance(n, int) and not isinstance(n, bool):
        out.integer_value = n
    else:
        out.double_value = n
    return out


def make_null() -> Any:
    out = Value()
    out.null_value = 0
    return out


def make_reference(name: str) -> Any:
    out = Value()
    out.reference_value = name
    return out


def make_timestamp(micros: int) -> Any:
    out = Value()
    out.timestamp_value.seconds = micros // 1_000_000
    out.timestamp_value.nanos = (micros % 1_000_000) * 1000
    return out


# --- nested field access (never use map[key] on a stored document: it inserts) --------------


def get_field(fields: Any, path: tuple[str, ...]) -> Any | None:
    """The Value at `path` in a `fields` map, or None when absent."""
    cur = fields
    last = len(path) - 1
    for i, seg in enumerate(path):
        if seg not in cur:
            return None
        v = cur[seg]
        if i == last:
            return v
        if v.WhichOneof("value_type") != "map_value":
            return None
        cur = v.map_value.fields
    return None


def set_field(fields: Any, path: tuple[str, ...], value: Any) -> None:
    cur = fields
    for seg in path[:-1]:
        v = cur[seg]
        if v.WhichOneof("value_type") != "map_value":
            v.Clear()
            v.map_value.SetInParent()
        cur = v.map_value.fields
    cur[path[-1]].CopyFrom(value)


def delete_field(fields: Any, path: tuple[str, ...]) -> None:
    cur = fields
    for seg in path[:-1]:
        if seg not in cur:
            return
        v = cur[seg]
        if v.WhichOneof("value_type") != "map_value":
            return
        cur = v.map_value.fields
    if path[-1] in cur:
        del cur[path[-1]]


def leaf_paths(fields: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every field path of a map, descending into non-empty maps (like a merge mask)."""
    out: list[tuple[str, ...]] = []
    for k in fields:
        v = fields[k]
        p = (*prefix, k)
        if v.WhichOneof("value_type") == "map_value" and len(v.map_value.fields):
            out.extend(leaf_paths(v.map_value.fields, p))
        else:
            out.append(p)
    return out


# --- validation of values a client writes -----------------------------------------------------

_FORBIDDEN_IN_DOCS = {"field_reference_value", "function_value", "pipeline_value"}


def validate_value(v: Any, depth: int = 0, in_array: bool = False) -> None:
    kind = v.WhichOneof("value_type")
    if kind is None:
        raise invalid("Cannot convert firestore.v1.Value with type unset.")
    if depth > MAX_DEPTH:
        raise invalid(f"Values may nest at most {MAX_DEPTH} levels deep.")
    if kind == "array_value":
        if in_array:
            raise invalid("Cannot convert an array value in an array value.")
        for x in v.array_value.values:
            validate_value(x, depth + 1, True)
    elif kind == "map_value":
        for k, x in v.map_value.fields.items():
            if not k:
                raise invalid("Field names must not be empty.")
            validate_value(x, depth + 1, False)
    elif kind == "timestamp_value":
        ts = v.timestamp_value
        if not (MIN_SECONDS <= ts.seconds <= MAX_SECONDS) or not (0 <= ts.nanos < 10**9):
            raise invalid("Timestamp value out of range (years 1 to 9999).")
    elif kind == "geo_point_value":
        g = v.geo_point_value
        if not (-90 <= g.latitude <= 90) or not (-180 <= g.longitude <= 180):
            raise invalid("Geo point latitude must be in [-90, 90] and longitude in [-180, 180].")
    elif kind == "reference_value":
        from .paths import parse_document_name

        parse_document_name(v.reference_value)
    elif kind in _FORBIDDEN_IN_DOCS or kind == "variable_reference_value":
        raise invalid(f"{kind} is only valid in pipeline expressions.")


def validate_fields(fields: Any) -> None:
    for k, v in fields.items():
        if not k:
            raise invalid("Field names must not be empty.")
        validate_value(v, 1)


def vector_of(v: Any) -> list[float] | None:
    """The components of a vector value, or None when `v` is not a vector."""
    if v is None or v.WhichOneof("value_type") != "map_value":
        return None
    fields = v.map_value.fields
    if not is_vector_map(fields):
        return None
    arr = fields["value"]
    if arr.WhichOneof("value_type") != "array_value":
        return None
    out = []
    for x in arr.array_value.values:
        if not is_number(x):
            return None
        out.append(float(number_of(x)))
    return out


# --- storage size, as Firestore counts it (limit: 1,048,576 bytes per document) --------------


def value_size(v: Any) -> int:
    kind = v.WhichOneof("value_type")
    if kind == "string_value":
        return len(v.string_value.encode()) + 1
    if kind in ("integer_value", "double_value", "timestamp_value"):
        return 8
    if kind in ("boolean_value", "null_value"):
        return 1
    if kind == "bytes_value":
        return len(v.bytes_value)
    if kind == "geo_point_value":
        return 16
    if kind == "reference_value":
        return name_size(v.reference_value.split("/documents/", 1)[-1].split("/"))
    if kind == "array_value":
        return sum(value_size(x) for x in v.array_value.values)
    if kind == "map_value":
        return fields_size(v.map_value.fields)
    return 0


def fields_size(fields: Any) -> int:
    return sum(len(k.encode()) + 1 + value_size(x) for k, x in fields.items())


def name_size(path: tuple[str, ...] | list[str]) -> int:
    return sum(len(seg.encode()) + 1 for seg in path) + 16


def document_size(path: tuple[str, ...], fields: Any) -> int:
    return name_size(path) + fields_size(fields) + 32
