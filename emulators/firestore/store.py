"""In-memory state of one Firestore database: documents, their collections, their history.

Documents are kept per collection (`Collection.docs`, ids kept sorted), so a query reads only
the collection (or, for a collection-group query, the collections with that id) it names.
A collection lazily gains a sorted single-field index per field path that queries order by
(`Collection.index`), maintained on every write after that, so ordered page queries walk
the index instead of sorting the collection.

Every change is also kept as a version (`history`) for an hour, for reads at a `read_time`
and read-only transactions. Times are integers in microseconds since the epoch; every commit
gets a distinct, increasing time.
"""

from __future__ import annotations

import bisect
import time
from typing import Any

from .paths import Path, document_name
from .values import REFERENCE, Document, get_field, value_key

HISTORY_RETENTION_US = 3600 * 1_000_000
NAME_PATH = ("__name__",)


class Doc:
    """One immutable version of a live document."""

    __slots__ = ("_keys", "create_us", "name", "path", "pb", "update_us")

    def __init__(self, path: Path, pb: Any, create_us: int, update_us: int) -> None:
        self.path = path
        self.pb = pb  # google.firestore.v1.Document, name and times set; never mutated
        self.name = pb.name
        self.create_us = create_us
        self.update_us = update_us
        self._keys: dict[Path, tuple | None] | None = None

    def value(self, fp: Path) -> Any | None:
        return get_field(self.pb.fields, fp)

    def key(self, fp: Path) -> tuple | None:
        """Sort key of the field at `fp` (None when absent); `__name__` is the reference."""
        keys = self._keys
        if keys is None:
            keys = self._keys = {}
        elif fp in keys:
            return keys[fp]
        if fp == NAME_PATH:
            k: tuple | None = (REFERENCE, tuple(self.name.split("/")))
        else:
            v = get_field(self.pb.fields, fp)
            k = None if v is None else value_key(v)
        keys[fp] = k
        return k


def make_doc(db: str, path: Path, fields: Any, create_us: int, update_us: int) -> Doc:
    pb = Document()
    pb.name = document_name(db, path)
    if fields is not None:
        for k, v in fields.items():
            pb.fields[k].CopyFrom(v)
    _set_ts(pb.create_time, create_us)
    _set_ts(pb.update_time, update_us)
    return Doc(path, pb, create_us, update_us)


def _set_ts(ts: Any, micros: int) -> None:
    ts.seconds = micros // 1_000_000
    ts.nanos = (micros % 1_000_000) * 1000


def ts_to_us(ts: Any) -> int:
    return ts.seconds * 1_000_000 + ts.nanos // 1000


class Collection:
    __slots__ = ("docs", "ids", "indexes", "known", "path", "sub")

    def __init__(self, path: Path) -> None:
        self.path = path
        self.docs: dict[str, Doc] = {}  # live documents by id
        self.ids: list[str] = []  # sorted ids of live documents
        self.sub: set[str] = set()  # ids with live documents below them
        self.known: set[str] = set()  # ids with any version in history
        self.indexes: dict[Path, list[tuple[tuple, str]]] = {}

    def index(self, fp: Path) -> list[tuple[tuple, str]]:
        """The sorted (value key, id) list of the live documents that have field `fp`."""
        idx = self.indexes.get(fp)
        if idx is None:
            idx = []
            for doc_id, doc in self.docs.items():
                k = doc.key(fp)
                if k is not None:
                    idx.append((k, doc_id))
            idx.sort()
            self.indexes[fp] = idx
        return idx

    def _reindex(self, doc_id: str, old: Doc | None, new: Doc | None) -> None:
        for fp, idx in self.indexes.items():
            if old is not None:
                k = old.key(fp)
                if k is not None:
                    i = bisect.bisect_left(idx, (k, doc_id))
                    if i < len(idx) and idx[i][1] == doc_id:
                        del idx[i]
            if new is not None:
                k = new.key(fp)
                if k is not None:
                    bisect.insort(idx, (k, doc_id))


class Database:
    """All documents of `projects/{p}/databases/{d}`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.colls: dict[Path, Collection] = {}
        self.groups: dict[str, set[Path]] = {}  # collection id -> collection paths
        self.counts: dict[Path, int] = {}  # live documents below a path
        self.child_colls: dict[Path, set[str]] = {}  # doc path -> ids of non-empty collections
        self.history: dict[Path, list[tuple[int, Doc | None]]] = {}
        self.last_commit_us = 0

    # --- reads ------------------------------------------------------------------------------
    def get(self, path: Path) -> Doc | None:
        coll = self.colls.get(path[:-1])
        return None if coll is None else coll.docs.get(path[-1])

    def get_at(self, path: Path, at_us: int | None) -> Doc | None:
        if at_us is None:
            return self.get(path)
        versions = self.history.get(path)
        if not versions:
            return self.get(path)
        if versions[-1][0] <= at_us:
            return versions[-1][1]
        i = bisect.bisect_right(versions, at_us, key=lambda e: e[0])
        return versions[i - 1][1] if i else None

    def version(self, path: Path) -> int:
        """Time of the last change (write or delete) of `path`; 0 if never written."""
        versions = self.history.get(path)
        return versions[-1][0] if versions else 0

    def collection(self, path: Path) -> Collection | None:
        return self.colls.get(path)

    def group_collections(self, collection_id: str, under: Path) -> list[Collection]:
        """Collections named `collection_id` at any depth below the document path `under`."""
        paths = self.groups.get(collection_id, ()) if collection_id else self.colls.keys()
        n = len(under)
        out = [self.colls[p] for p in paths if len(p) > n and p[:n] == under]
        out.sort(key=lambda c: c.path)
        return out

    def docs_at(self, coll: Collection, at_us: int | None) -> list[Doc]:
        """Documents of a collection as of `at_us` (None: now), in id order."""
        if at_us is None or at_us >= self.last_commit_us:
            return [coll.docs[i] for i in coll.ids]
        out = []
        for doc_id in sorted(coll.known | set(coll.ids)):
            d = self.get_at((*coll.path, doc_id), at_us)
            if d is not None:
                out.append(d)
        return out

    # --- writes -----------------------------------------------------------------------------
    def next_commit_time(self) -> int:
        now = time.time_ns() // 1000
        t = max(now, self.last_commit_us + 1)
        self.last_commit_us = t
        return t

    def put(self, path: Path, new: Doc | None, at_us: int) -> None:
        """Make `new` (or nothing, for a delete) the live version of `path` from `at_us` on."""
        coll_path, doc_id = path[:-1], path[-1]
        coll = self.colls.get(coll_path)
        if coll is None:
            coll = self._ensure_collection(coll_path)
        old = coll.docs.get(doc_id)
        if old is None and new is None:
            return
        if new is None:
            del coll.docs[doc_id]
            i = bisect.bisect_left(coll.ids, doc_id)
            del coll.ids[i]
            self._count(path, -1)
        else:
            coll.docs[doc_id] = new
            if old is None:
                bisect.insort(coll.ids, doc_id)
                self._count(path, +1)
        if coll.indexes:
            coll._reindex(doc_id, old, new)
        self._remember(path, coll, new, at_us)

    def _ensure_collection(self, coll_path: Path) -> Collection:
        for j in range(1, len(coll_path) + 1, 2):
            p = coll_path[:j]
            if p not in self.colls:
                self.colls[p] = Collection(p)
                self.groups.setdefault(p[-1], set()).add(p)
        return self.colls[coll_path]

    def _count(self, path: Path, delta: int) -> None:
        counts = self.counts
        for j in range(1, len(path)):
            p = path[:j]
            c = counts.get(p, 0) + delta
            if c:
                counts[p] = c
            else:
                counts.pop(p, None)
            if (c == 0 and delta < 0) or (c == delta > 0):
                if j % 2:  # a collection became empty / non-empty
                    s = self.child_colls.setdefault(p[:-1], set())
                    if delta > 0:
                        s.add(p[-1])
                    else:
                        s.discard(p[-1])
                else:  # a document gained its first / lost its last descendant
                    parent = self.colls[p[:-1]]
                    if delta > 0:
                        parent.sub.add(p[-1])
                    else:
                        parent.sub.discard(p[-1])

    def _remember(self, path: Path, coll: Collection, new: Doc | None, at_us: int) -> None:
        versions = self.history.setdefault(path, [])
        versions.append((at_us, new))
        coll.known.add(path[-1])
        cutoff = at_us - HISTORY_RETENTION_US
        if len(versions) > 2 and versions[1][0] < cutoff:
            # keep the newest version older than the cutoff: it is the state at the cutoff
            i = bisect.bisect_left(versions, cutoff, key=lambda e: e[0])
            del versions[: max(i - 1, 0)]

    def prune(self, now_us: int) -> None:
        """Forget versions older than the retention (deleted documents entirely)."""
        cutoff = now_us - HISTORY_RETENTION_US
        for path in list(self.history):
            versions = self.history[path]
            if versions[-1][0] < cutoff and versions[-1][1] is None:
                del self.history[path]
                coll = self.colls.get(path[:-1])
                if coll is not None:
                    coll.known.discard(path[-1])
            elif len(versions) > 1 and versions[1][0] < cutoff:
                i = bisect.bisect_left(versions, cutoff, key=lambda e: e[0])
                del versions[: max(i - 1, 0)]

    # --- listing ----------------------------------------------------------------------------
    def collection_ids(self, parent: Path) -> list[str]:
        return sorted(self.child_colls.get(parent, ()))

    def missing_ids(self, coll: Collection) -> set[str]:
        """Ids of documents that do not exist but have documents below them."""
        return {i for i in coll.sub if i not in coll.docs}

    def all_docs(self) -> list[Doc]:
        out: list[Doc] = []
        for coll in self.colls.values():
            out.extend(coll.docs.values())
        return out
