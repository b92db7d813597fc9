"""Strict-index mode: refuse, as production does, the queries no declared index can serve.

Index declarations use the Firebase CLI `firestore.indexes.json` format (the file Terraform
also reads): `{"indexes": [...], "fieldOverrides": [...]}`. The file is re-read when it changes.

The subset of Firestore's index selection implemented (documented in the README):
- single-field indexes exist automatically for every field, in collection scope, ascending,
  descending and array-contains, unless a `fieldOverrides` entry for that collection group and
  field lists other indexes (an empty list exempts the field). Collection-group scope has
  single-field indexes only where a field override declares them.
- a query touching no field (only `__name__` order) needs nothing; a query on one field needs
  that field's single-field index (array-contains for array filters, the ordering's direction
  for an order); equality / array-contains filters on several fields with no other ordering
  are served by merging single-field indexes.
- anything else needs composite indexes: equality and array-contains fields first (any order),
  then every order-by field (explicit, then the implicit ones of inequality filters) with its
  exact direction; a trailing `__name__` field is optional. Several composites sharing that
  order suffix may be merged, each covering some of the equality fields. A collection-group
  scope index also serves collection queries.
- each disjunction of an OR query (in disjunctive normal form) must be served on its own.
- `find_nearest` needs a vector index: its filter fields (any order), then the vector field
  with `vectorConfig.dimension` equal to the query vector's length.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from typing import Any

from .errors import failed_precondition, invalid
from .paths import Path, canonical_field_path, parse_field_path
from .query import Plan, Term
from .store import NAME_PATH

ASC, DESC, CONTAINS, VECTOR = "ASCENDING", "DESCENDING", "CONTAINS", "VECTOR"
COLLECTION, COLLECTION_GROUP = "COLLECTION", "COLLECTION_GROUP"


@dataclass(frozen=True)
class IndexField:
    path: Path
    mode: str  # ASCENDING, DESCENDING, CONTAINS or VECTOR
    dimension: int = 0


@dataclass(frozen=True)
class Composite:
    collection_group: str
    scope: str
    fields: tuple[IndexField, ...]


def _parse_field(entry: dict) -> IndexField:
    fp = parse_field_path(entry["fieldPath"])
    if "order" in entry:
        if entry["order"] not in (ASC, DESC):
            raise ValueError(f"bad order {entry['order']!r}")
        return IndexField(fp, entry["order"])
    if entry.get("arrayConfig") == CONTAINS:
        return IndexField(fp, CONTAINS)
    if "vectorConfig" in entry:
        return IndexField(fp, VECTOR, int(entry["vectorConfig"]["dimension"]))
    raise ValueError(f"index field {entry!r} needs order, arrayConfig or vectorConfig")


class IndexConfig:
    """Declared indexes; `check(plan)` raises FAILED_PRECONDITION when none serves a query."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self.composites: list[Composite] = []
        # (collection group, field) -> {(mode, scope)}; present means the defaults are replaced
        self.overrides: dict[tuple[str, Path], set[tuple[str, str]]] = {}
        self.reload()

    def reload(self) -> None:
        if not self.path:
            return
        with self._lock:
            try:
                st = os.stat(self.path)
            except FileNotFoundError:
                self.composites, self.overrides, self._stamp = [], {}, None
                return
            stamp = (st.st_mtime_ns, st.st_size)
            if stamp == self._stamp:
                return
            with open(self.path, encoding="utf-8") as fh:
                data = json.load(fh)
            composites = []
            for ix in data.get("indexes", []):
                composites.append(
                    Composite(
                        ix["collectionGroup"],
                        ix.get("queryScope", COLLECTION),
                        tuple(_parse_field(f) for f in ix["fields"]),
                    )
                )
            overrides: dict[tuple[str, Path], set[tuple[str, str]]] = {}
            for fo in data.get("fieldOverrides", []):
                key = (fo["collectionGroup"], parse_field_path(fo["fieldPath"]))
                modes = set()
                for ix in fo.get("indexes", []):
                    mode = ix.get("order") or (CONTAINS if ix.get("arrayConfig") else None)
                    if mode:
                        modes.add((mode, ix.get("queryScope", COLLECTION)))
                overrides[key] = modes
            self.composites, self.overrides, self._stamp = composites, overrides, stamp

    # --- checking ---------------------------------------------------------------------------
    def check(self, plan: Plan, project: str) -> None:
        self.reload()
        if not plan.collection_id:
            return  # kindless queries run on the built-in __name__ index
        group = plan.all_descendants
        if plan.nearest is not None:
            self._check_vector(plan, group, project)
            return
        orders = [(f, d) for f, d in plan.orders if f != NAME_PATH]
        name_desc = plan.orders[-1][1] if plan.orders[-1][0] == NAME_PATH else False
        for conj in plan.dnf:
            if not self._served(plan.collection_id, group, conj, orders, name_desc):
                raise failed_precondition(
                    self._message(plan.collection_id, group, conj, orders, project)
                )

    def _single(self, cg: str, group: bool, fp: Path, mode: str) -> bool:
        scope = COLLECTION_GROUP if group else COLLECTION
        declared = self.overrides.get((cg, fp))
        if declared is None:
            return not group
        return (mode, scope) in declared or (not group and (mode, COLLECTION_GROUP) in declared)

    def _served(self, cg, group, conj: list[Term], orders, name_desc) -> bool:
        order_fields = {f for f, _ in orders}
        eq: dict[Path, str] = {}
        for t in conj:
            if t.field in order_fields or t.kind == "ineq" or t.field == NAME_PATH:
                continue
            eq[t.field] = CONTAINS if t.kind == "contains" else "EQ"
        fields = set(eq) | order_fields
        if not fields:
            return True
        if len(fields) == 1 and len(orders) <= 1:
            (fp,) = fields
            if orders:
                mode = DESC if orders[0][1] else ASC
                ok = self._single(cg, group, fp, mode)
            elif eq[fp] == CONTAINS:
                ok = self._single(cg, group, fp, CONTAINS)
            else:
                ok = self._single(cg, group, fp, ASC) or self._single(cg, group, fp, DESC)
            if ok:
                return True
        if not orders and all(
            self._single(cg, group, fp, m)
            if m == CONTAINS
            else (self._single(cg, group, fp, ASC) or self._single(cg, group, fp, DESC))
            for fp, m in eq.items()
        ):
            return True
        # composites: equality prefix + exact order suffix (+ optional __name__)
        suffix = [IndexField(f, DESC if d else ASC) for f, d in orders]
        covered: set[Path] = set()
        for ix in self._candidates(cg, group):
            fs = list(ix.fields)
            if fs and fs[-1].path == NAME_PATH:
                if (fs[-1].mode == DESC) != name_desc:
                    continue
                fs = fs[:-1]
            if any(f.mode == VECTOR for f in fs):
                continue
            n = len(fs) - len(suffix)
            if n < 0 or fs[n:] != suffix:
                continue
            prefix = fs[:n]
            if all(
                f.path in eq and ((f.mode == CONTAINS) == (eq[f.path] == CONTAINS)) for f in prefix
            ):
                if len(prefix) == len(eq):
                    return True
                covered.update(f.path for f in prefix)
        return bool(eq) and covered == set(eq) and bool(suffix)

    def _candidates(self, cg: str, group: bool) -> list[Composite]:
        return [
            ix
            for ix in self.composites
            if ix.collection_group == cg and (ix.scope == COLLECTION_GROUP or not group)
        ]

    def _check_vector(self, plan: Plan, group: bool, project: str) -> None:
        nn = plan.nearest
        filters = {t.field for conj in plan.dnf for t in conj}
        for ix in self._candidates(plan.collection_id, group):
            last = ix.fields[-1] if ix.fields else None
            if last is None or last.mode != VECTOR or last.path != nn.field:
                continue
            if last.dimension != len(nn.query):
                continue
            if {f.path for f in ix.fields[:-1]} == filters:
                return
        fields: list[dict[str, object]] = [
            {"fieldPath": canonical_field_path(f), "order": ASC} for f in sorted(filters)
        ]
        fields.append(
            {
                "fieldPath": canonical_field_path(nn.field),
                "vectorConfig": {"dimension": len(nn.query), "flat": {}},
            }
        )
        raise failed_precondition(
            "Missing vector index configuration. Please create the required index with the "
            "following configuration (declare it in infra/firestore.indexes.json): "
            + json.dumps(self._entry(plan.collection_id, group, fields))
        )

    @staticmethod
    def _entry(cg: str, group: bool, fields: list[dict]) -> dict:
        return {
            "collectionGroup": cg,
            "queryScope": COLLECTION_GROUP if group else COLLECTION,
            "fields": fields,
        }

    def _message(self, cg, group, conj: list[Term], orders, project: str) -> str:
        order_fields = {f for f, _ in orders}
        fields: list[dict[str, Any]] = []
        for t in sorted(conj, key=lambda t: t.field):
            if t.field in order_fields or t.kind == "ineq" or t.field == NAME_PATH:
                continue
            if any(f["fieldPath"] == canonical_field_path(t.field) for f in fields):
                continue
            if t.kind == "contains":
                fields.append({"fieldPath": canonical_field_path(t.field), "arrayConfig": CONTAINS})
            else:
                fields.append({"fieldPath": canonical_field_path(t.field), "order": ASC})
        for f, d in orders:
            fields.append({"fieldPath": canonical_field_path(f), "order": DESC if d else ASC})
        return (
            "The query requires an index. Declare it in infra/firestore.indexes.json (in "
            f"production, create it at https://console.firebase.google.com/project/{project}"
            "/firestore/indexes): " + json.dumps(self._entry(cg, group, fields))
        )


def load(path: str | None) -> IndexConfig:
    try:
        return IndexConfig(path)
    except (ValueError, KeyError, json.JSONDecodeError) as exc:
        raise invalid(f"Invalid index file {path}: {exc}") from exc
