"""Queries: every filter operator, composite and unary filters, ordering (explicit and
implicit), cursors, offset, limit, limit_to_last, projections, and a paginated walk.

These queries need composite indexes that `infra/` must not declare (they are test-only), so
they run on the emulator without strict indexes (`lenient_db`); strict mode has its own tests.
"""

from __future__ import annotations

import math
import time
from typing import Any

import grpc
import pytest
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import And, FieldFilter, Or

from tests.conformance.firestore.firestore_helpers import (
    expect_code,
    field_filter,
    fill,
    ids,
    run_query,
    unique,
)

ROWS: dict[str, dict[str, Any]] = {
    "a": {"n": 1, "s": "x", "tags": ["red", "blue"], "m": {"k": 1}, "g": "one"},
    "b": {"n": 2, "s": "y", "tags": ["blue"], "m": {"k": 2}, "g": "one"},
    "c": {"n": 3, "s": "x", "tags": [], "m": {"k": 3}, "g": "two"},
    "d": {"n": 4.5, "s": None, "tags": ["green"], "g": "two"},
    "e": {"n": math.nan, "s": "z", "g": "three"},
    "f": {"s": "x", "g": "three"},  # no "n"
    "g": {"n": None, "s": "y", "g": "three"},
}


@pytest.fixture(scope="module")
def coll(lenient_db: firestore.Client) -> firestore.CollectionReference:
    c = lenient_db.collection(unique("q"))
    fill(c, ROWS)
    return c


def where(coll, field, op, value):
    return coll.where(filter=FieldFilter(field, op, value))


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("<", 3, ["a", "b"]),
        ("<=", 3, ["a", "b", "c"]),
        (">", 2, ["c", "d"]),
        (">=", 2, ["b", "c", "d"]),
        ("==", 2, ["b"]),
        ("==", 2.0, ["b"]),  # integers and doubles compare numerically
        ("!=", 2, ["e", "a", "c", "d"]),  # excludes null and missing; NaN sorts first
        ("in", [1, 4.5, "nope"], ["a", "d"]),
        ("not-in", [1, 2], ["e", "c", "d"]),
        ("==", None, ["g"]),  # IS_NULL
        ("==", math.nan, ["e"]),  # IS_NAN
        ("!=", None, ["e", "a", "b", "c", "d"]),  # IS_NOT_NULL
        ("!=", math.nan, ["a", "b", "c", "d"]),  # IS_NOT_NAN excludes null too
    ],
)
def test_field_filters_on_numbers(coll, op, value, expected):
    assert ids(where(coll, "n", op, value).stream()) == expected


def test_range_filters_are_bounded_by_type(coll):
    assert ids(where(coll, "s", ">=", "x").stream()) == ["a", "c", "f", "b", "g", "e"]
    assert ids(where(coll, "n", ">", -math.inf).stream()) == ["a", "b", "c", "d"]
    assert ids(where(coll, "s", "<", 5).stream()) == []


def test_array_filters(coll):
    assert ids(where(coll, "tags", "array_contains", "blue").stream()) == ["a", "b"]
    assert ids(where(coll, "tags", "array_contains_any", ["red", "green"]).stream()) == ["a", "d"]
    assert ids(where(coll, "tags", "==", []).stream()) == ["c"]


def test_nested_field_filter(coll):
    assert ids(where(coll, "m.k", ">=", 2).stream()) == ["b", "c"]


def test_composite_and_or_nested(coll):
    q = coll.where(
        filter=Or(
            [
                And([FieldFilter("g", "==", "one"), FieldFilter("n", ">", 1)]),
                And([FieldFilter("g", "==", "three"), FieldFilter("s", "==", "x")]),
                FieldFilter("tags", "array_contains", "green"),
            ]
        )
    )
    # "f" matches the second branch but lacks "n": the inequality n > 1 orders the whole query
    # by n, and ordering by a field excludes documents without it (as on Firestore)
    assert sorted(ids(q.stream())) == ["b", "d"]


def test_unary_filters_raw(lenient_db, coll):
    for op, expected in [
        ("IS_NAN", ["e"]),
        ("IS_NULL", ["g"]),
        ("IS_NOT_NAN", ["a", "b", "c", "d"]),
        ("IS_NOT_NULL", ["e", "a", "b", "c", "d"]),
    ]:
        docs = run_query(
            lenient_db,
            {
                "from_": [{"collection_id": coll.id}],
                "where": {"unary_filter": {"op": op, "field": {"field_path": "n"}}},
            },
        )
        assert [d.name.rsplit("/", 1)[1] for d in docs] == expected, op


def test_order_by_excludes_documents_without_the_field(coll):
    assert ids(coll.order_by("n").stream()) == ["g", "e", "a", "b", "c", "d"]
    assert ids(coll.order_by("n", direction="DESCENDING").stream()) == [
        "d",
        "c",
        "b",
        "a",
        "e",
        "g",
    ]


def test_order_by_several_fields_with_implicit_name_order(coll):
    q = coll.order_by("g").order_by("s", direction="DESCENDING")
    # implicit __name__ takes the direction of the last order: DESCENDING
    assert ids(q.stream()) == ["b", "a", "e", "g", "f", "c", "d"]


def test_inequality_adds_implicit_order(coll):
    # where s > "w" orders by s, then __name__ (ASCENDING), before the explicit limit applies
    assert ids(where(coll, "s", ">", "w").limit(3).stream()) == ["a", "c", "f"]
    # an explicit order comes first, the inequality field after it
    q = where(coll, "n", ">", 0).order_by("g", direction="DESCENDING")
    assert ids(q.stream()) == ["d", "c", "b", "a"]


def test_cursors(coll):
    base = coll.order_by("n")
    assert ids(base.start_at({"n": 2}).stream()) == ["b", "c", "d"]
    assert ids(base.start_after({"n": 2}).stream()) == ["c", "d"]
    assert ids(base.end_at({"n": 2}).stream()) == ["g", "e", "a", "b"]
    assert ids(base.end_before({"n": 2}).stream()) == ["g", "e", "a"]
    assert ids(base.start_after({"n": 1}).end_before({"n": 4.5}).stream()) == ["b", "c"]


def test_snapshot_cursors_include_the_name(coll):
    # from a snapshot the client adds __name__ to the order and to the cursor values
    snap = coll.document("b").get()
    assert ids(coll.order_by("g").start_after(snap).stream()) == ["e", "f", "g", "c", "d"]
    assert ids(coll.start_after(snap).stream()) == ["c", "d", "e", "f", "g"]
    assert ids(coll.end_before(snap).stream()) == ["a"]


def test_partial_cursor_on_the_first_of_two_orders(coll):
    q = coll.order_by("g").order_by("s")  # one: a b, three: f g e, two: d (null) c
    assert ids(q.stream()) == ["a", "b", "f", "g", "e", "d", "c"]
    assert ids(q.start_at({"g": "three"}).stream()) == ["f", "g", "e", "d", "c"]
    assert ids(q.start_after({"g": "three"}).stream()) == ["d", "c"]
    assert ids(q.end_before({"g": "three"}).stream()) == ["a", "b"]


def test_offset_limit_limit_to_last(coll):
    base = coll.order_by("g").order_by("__name__")  # a b e f g c d
    assert ids(base.offset(2).limit(3).stream()) == ["e", "f", "g"]
    assert ids(base.limit_to_last(2).get()) == ["c", "d"]
    assert ids(base.offset(10).stream()) == []
    assert ids(base.limit(0).stream()) == []


def test_projections(coll):
    snaps = list(coll.select(["s", "m.k"]).where(filter=FieldFilter("g", "==", "one")).stream())
    assert [s.to_dict() for s in snaps] == [{"s": "x", "m": {"k": 1}}, {"s": "y", "m": {"k": 2}}]
    names_only = list(coll.select([]).stream())
    assert len(names_only) == 7 and all(s.to_dict() == {} for s in names_only)


@pytest.mark.ours_only("Google's emulator refuses descending key scans (FAILED_PRECONDITION)")
def test_name_filters(coll):
    ref = coll.document("c")
    assert ids(where(coll, "__name__", ">=", ref).stream()) == ["c", "d", "e", "f", "g"]
    assert ids(where(coll, "__name__", "in", [ref, coll.document("a")]).stream()) == ["a", "c"]
    assert ids(coll.order_by("__name__", direction="DESCENDING").limit(2).stream()) == ["g", "f"]


def test_in_with_too_many_values_is_invalid_argument(lenient_db, coll):
    with expect_code(grpc.StatusCode.INVALID_ARGUMENT):
        list(where(coll, "n", "in", list(range(31))).stream())
    with expect_code(grpc.StatusCode.INVALID_ARGUMENT):
        list(where(coll, "n", "not-in", list(range(11))).stream())
    with expect_code(grpc.StatusCode.INVALID_ARGUMENT):
        run_query(
            lenient_db,
            {
                "from_": [{"collection_id": coll.id}],
                "where": field_filter("n", "OPERATOR_UNSPECIFIED", {"integer_value": 1}),
            },
        )
    assert len(list(coll.stream())) == 7  # and the emulator keeps serving


def test_cursor_walk_over_1000_documents_returns_each_once_in_order(lenient_db):
    coll = lenient_db.collection(unique("walk"))
    fill(coll, {f"d{i:04d}": {"rank": (i * 7919) % 1000, "bucket": i % 3} for i in range(1000)})
    seen: list[str] = []
    query = coll.order_by("rank").limit(37)
    last = None
    while True:
        page = list((query.start_after(last) if last else query).stream())
        if not page:
            break
        seen.extend(s.id for s in page)
        last = page[-1]
    assert len(seen) == 1000 and len(set(seen)) == 1000
    ranks = [(int(x[1:]) * 7919) % 1000 for x in seen]
    assert ranks == sorted(ranks)


@pytest.mark.ours_only("the speed of our emulator's ordered page walk")
def test_page_query_on_10000_documents_is_fast(lenient_db):
    coll = lenient_db.collection("sessions").document(unique("s")).collection("messages")
    fill(coll, {f"m{i:05d}": {"seq": i, "role": ("user", "model")[i % 2]} for i in range(10_000)})
    query = coll.order_by("seq", direction="DESCENDING").limit(50)
    first = list(query.stream())
    assert [s.get("seq") for s in first] == list(range(9999, 9949, -1))
    timings = []
    for _ in range(5):
        t0 = time.perf_counter()
        page = list(query.start_after(first[-1]).stream())
        timings.append(time.perf_counter() - t0)
    assert [s.get("seq") for s in page] == list(range(9949, 9899, -1))
    best = min(timings)
    print(f"10,000-document page of 50 (order_by seq desc, start_after): {best * 1000:.1f} ms")
    assert best < 0.1
