"""Running a compiled query (`query.Plan`) against one database, now or as of a time.

Only the named collection (or the collections with the named id, for a collection-group query)
is read. Live queries walk documents in id order when ordered by `__name__`, or a
per-collection sorted single-field index when ordered by a field, and stop once
`offset + limit` results are found; everything else (several collections, a `read_time` in the
past) filters and then partially sorts.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Callable, Iterable
from operator import itemgetter

from .nearest import run_nearest
from .paths import Path
from .query import Plan
from .store import NAME_PATH, Collection, Database, Doc

INDEX_WALK_MIN_DOCS = 64  # smaller collections are simply sorted


def _cmp_keys(doc_keys: tuple, cur: list[tuple], dirs: list[bool]) -> int:
    for i, b in enumerate(cur):
        a = doc_keys[i]
        if a != b:
            r = -1 if a < b else 1
            return -r if dirs[i] else r
    return 0


class _Reversed:
    __slots__ = ("k",)

    def __init__(self, k: tuple) -> None:
        self.k = k

    def __lt__(self, other: _Reversed) -> bool:
        return other.k < self.k

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and self.k == other.k


def run(db: Database, plan: Plan, at_us: int | None = None) -> list[Doc]:
    """The documents a plan returns, in order, before projection."""
    if plan.nearest is not None:
        return run_nearest(db, plan, at_us)
    live = at_us is None or at_us >= db.last_commit_us
    if not plan.all_descendants:
        coll = db.collection((*plan.parent, plan.collection_id))
        if coll is None:
            return []
        if live and len(coll.docs) >= INDEX_WALK_MIN_DOCS:
            if plan.orders[0][0] == NAME_PATH:
                return _walk_ids(plan, coll)
            return _walk_index(plan, coll)
        colls = [coll]
    else:
        colls = db.group_collections(plan.collection_id, plan.parent)
    return _scan_sort(plan, (d for c in colls for d in db.docs_at(c, at_us)))


def _accept_start(plan: Plan, keys: tuple, dirs: list[bool]) -> bool:
    if plan.start is None:
        return True
    c = _cmp_keys(keys, plan.start[0], dirs)
    return c >= 0 if plan.start[1] else c > 0


def _accept_end(plan: Plan, keys: tuple, dirs: list[bool]) -> bool:
    if plan.end is None:
        return True
    c = _cmp_keys(keys, plan.end[0], dirs)
    return c < 0 if plan.end[1] else c <= 0


def _order_keys(d: Doc, fps: list[Path]) -> tuple | None:
    out = []
    for fp in fps:
        k = d.key(fp)
        if k is None:
            return None
        out.append(k)
    return tuple(out)


def _wanted(plan: Plan) -> int | None:
    return None if plan.limit is None else plan.offset + plan.limit


def _finish(plan: Plan, docs: list[Doc]) -> list[Doc]:
    docs = docs[plan.offset :]
    if plan.limit is not None:
        docs = docs[: plan.limit]
    return docs


def _scan_sort(plan: Plan, docs: Iterable[Doc]) -> list[Doc]:
    fps = [f for f, _ in plan.orders]
    dirs = [d for _, d in plan.orders]
    pred = plan.pred
    rows = []
    for d in docs:
        if pred is not None and not pred(d):
            continue
        keys = _order_keys(d, fps)
        if keys is None:
            continue
        if not _accept_start(plan, keys, dirs) or not _accept_end(plan, keys, dirs):
            continue
        rows.append((keys, d))
    sort_key, reverse = _sort_spec(dirs)
    wanted = _wanted(plan)
    if wanted is not None and wanted < len(rows) // 4:
        top = (heapq.nlargest if reverse else heapq.nsmallest)(wanted, rows, key=sort_key)
    else:
        top = sorted(rows, key=sort_key, reverse=reverse)
    return _finish(plan, [d for _, d in top])


def _sort_spec(dirs: list[bool]) -> tuple[Callable, bool]:
    """A sort key over (keys, doc) rows, and whether to reverse, for these directions."""
    if not any(dirs):
        return itemgetter(0), False
    if all(dirs):
        return itemgetter(0), True

    def sort_key(row: tuple) -> tuple:
        return tuple(
            _Reversed(k) if desc else _KeyBox(k) for k, desc in zip(row[0], dirs, strict=True)
        )

    return sort_key, False


class _KeyBox:
    __slots__ = ("k",)

    def __init__(self, k: tuple) -> None:
        self.k = k

    def __lt__(self, other: _KeyBox) -> bool:
        return self.k < other.k

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _KeyBox) and self.k == other.k


def _walk_ids(plan: Plan, coll: Collection) -> list[Doc]:
    """Ordered by __name__ within one collection: walk the sorted ids."""
    desc = plan.orders[0][1]
    ids = coll.ids
    fps = [f for f, _ in plan.orders]
    dirs = [d for _, d in plan.orders]
    if plan.start is not None and plan.start[0]:
        ref = plan.start[0][0][1]  # the reference's segments
        cid = ref[-1]
        if desc:
            pos = bisect.bisect_right(ids, cid)
            order: Iterable[str] = (ids[i] for i in range(pos - 1, -1, -1))
        else:
            pos = bisect.bisect_left(ids, cid)
            order = (ids[i] for i in range(pos, len(ids)))
    else:
        order = reversed(ids) if desc else iter(ids)
    return _collect(plan, (coll.docs[i] for i in order), fps, dirs)


def _collect(plan: Plan, docs: Iterable[Doc], fps: list[Path], dirs: list[bool]) -> list[Doc]:
    wanted = _wanted(plan)
    pred = plan.pred
    out: list[Doc] = []
    for d in docs:
        keys = _order_keys(d, fps)
        if keys is None:
            continue
        if not _accept_start(plan, keys, dirs):
            continue
        if not _accept_end(plan, keys, dirs):
            break
        if pred is not None and not pred(d):
            continue
        out.append(d)
        if wanted is not None and len(out) >= wanted:
            break
    return _finish(plan, out)


def _walk_index(plan: Plan, coll: Collection) -> list[Doc]:
    """Ordered by a field first: walk that field's sorted index, group by equal values."""
    first, desc = plan.orders[0]
    idx = coll.index(first)
    fps = [f for f, _ in plan.orders]
    dirs = [d for _, d in plan.orders]
    simple = len(plan.orders) == 2 and plan.orders[1] == (NAME_PATH, desc)
    n = len(idx)
    if plan.start is not None and plan.start[0]:
        ck = plan.start[0][0]
        if desc:
            i = bisect.bisect_right(idx, ck, key=itemgetter(0)) - 1
        else:
            i = bisect.bisect_left(idx, ck, key=itemgetter(0))
    else:
        i = n - 1 if desc else 0
    step = -1 if desc else 1
    docs = coll.docs
    sort_key, reverse = _sort_spec(dirs)

    def ordered() -> Iterable[Doc]:
        j = i
        while 0 <= j < n:
            if simple:
                yield docs[idx[j][1]]
                j += step
                continue
            k = idx[j][0]
            group = []
            while 0 <= j < n and idx[j][0] == k:
                group.append(docs[idx[j][1]])
                j += step
            if len(group) > 1:
                rows = [(k2, d) for d in group if (k2 := _order_keys(d, fps)) is not None]
                rows.sort(key=sort_key, reverse=reverse)
                group = [d for _, d in rows]
            yield from group

    return _collect(plan, ordered(), fps, dirs)
