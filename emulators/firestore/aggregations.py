"""Aggregations of `RunAggregationQuery`: count (with `up_to`), sum and avg, as Firestore
computes them over the documents a query returns (its offset and limit already applied)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from . import paths as P
from .errors import invalid
from .store import Doc
from .values import INT64_MAX, INT64_MIN, Value, is_number, make_null, number_of

MAX_AGGREGATIONS = 5
Aggregation = Callable[[list[Doc]], Any]


class Aggregations:
    """The validated aggregations of a request (INVALID_ARGUMENT when malformed)."""

    def __init__(self, aggs: Any) -> None:
        self._fns = compile_aggregations(aggs)
        self._fields = _aggregated_fields(aggs)

    def __call__(self, docs: list[Doc]) -> dict[str, Any]:
        """Each alias and its value over `docs`; only documents that have every aggregated
        field count (as on Firestore, a sum drops documents out of the request's count too)."""
        if self._fields:
            docs = [d for d in docs if all(d.value(fp) is not None for fp in self._fields)]
        return {alias: fn(docs) for alias, fn in self._fns}


def compile_aggregations(aggs: Any) -> list[tuple[str, Aggregation]]:
    if not aggs:
        raise invalid("An aggregation query needs at least one aggregation.")
    if len(aggs) > MAX_AGGREGATIONS:
        raise invalid(f"An aggregation query supports at most {MAX_AGGREGATIONS} aggregations.")
    out: list[tuple[str, Aggregation]] = []
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
        total: float = 0
        count = 0
        for n in _numbers(docs, fp):
            total += n
            count += 1
        if not count:
            return make_null()
        v = Value()
        v.double_value = total / count
        return v

    return fn
