"""`find_nearest` (vector search): validation and a brute-force scan of the named collection(s).

EUCLIDEAN and COSINE (1 - cosine similarity) rank smallest first, DOT_PRODUCT largest first;
only fields holding a Vector of the query's dimension are candidates; the query's filters are
pre-filters; `distance_threshold` keeps distances <= it (dot products >= it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from google.cloud.firestore_v1.types import query as _query

from .errors import invalid
from .paths import Path, parse_field_path
from .store import Database, Doc
from .values import Document, make_number, set_field, vector_of

if TYPE_CHECKING:
    from .query import Plan

Measure = _query.StructuredQuery.FindNearest.DistanceMeasure
MAX_FIND_NEAREST_LIMIT = 1000
MAX_VECTOR_DIMENSION = 2048


def compile_nearest(fn: Any) -> Nearest:
    fp = parse_field_path(fn.vector_field.field_path)
    qv = vector_of(fn.query_vector)
    if qv is None:
        raise invalid("find_nearest needs a query vector (a Vector value).")
    if not 0 < len(qv) <= MAX_VECTOR_DIMENSION:
        raise invalid(f"The query vector must have 1 to {MAX_VECTOR_DIMENSION} dimensions.")
    if fn.distance_measure not in (Measure.EUCLIDEAN, Measure.COSINE, Measure.DOT_PRODUCT):
        raise invalid("find_nearest needs a distance measure (EUCLIDEAN, COSINE, DOT_PRODUCT).")
    if not fn.HasField("limit") or not 0 < fn.limit.value <= MAX_FIND_NEAREST_LIMIT:
        raise invalid(f"find_nearest needs a limit between 1 and {MAX_FIND_NEAREST_LIMIT}.")
    result_field = parse_field_path(fn.distance_result_field) if fn.distance_result_field else None
    threshold = fn.distance_threshold.value if fn.HasField("distance_threshold") else None
    return Nearest(fp, qv, fn.distance_measure, fn.limit.value, result_field, threshold)


@dataclass
class Nearest:
    """A compiled `find_nearest`: the vector field, the query vector, measure and limits."""

    field: Path
    query: list[float]
    measure: int
    limit: int
    result_field: Path | None
    threshold: float | None


def run_nearest(db: Database, plan: Plan, at_us: int | None) -> list[Doc]:
    nn: Nearest = plan.nearest
    if plan.all_descendants:
        colls = db.group_collections(plan.collection_id, plan.parent)
    else:
        c = db.collection((*plan.parent, plan.collection_id))
        colls = [c] if c is not None else []
    q = nn.query
    dim = len(q)
    qnorm = math.sqrt(sum(x * x for x in q))
    rows = []
    for coll in colls:
        for d in db.docs_at(coll, at_us):
            if plan.pred is not None and not plan.pred(d):
                continue
            vec = vector_of(d.value(nn.field))
            if vec is None or len(vec) != dim:
                continue
            if nn.measure == Measure.EUCLIDEAN:
                dist = math.sqrt(sum((a - b) ** 2 for a, b in zip(vec, q, strict=True)))
            elif nn.measure == Measure.DOT_PRODUCT:
                dist = sum(a * b for a, b in zip(vec, q, strict=True))
            else:
                vnorm = math.sqrt(sum(x * x for x in vec))
                if vnorm == 0 or qnorm == 0:
                    continue
                dot = sum(a * b for a, b in zip(vec, q, strict=True))
                dist = 1.0 - dot / (vnorm * qnorm)
            if nn.threshold is not None:
                if nn.measure == Measure.DOT_PRODUCT and dist < nn.threshold:
                    continue
                if nn.measure != Measure.DOT_PRODUCT and dist > nn.threshold:
                    continue
            rows.append((dist, d))
    similarity = nn.measure == Measure.DOT_PRODUCT
    rows.sort(key=lambda r: (-r[0] if similarity else r[0], r[1].path))
    rows = rows[: nn.limit]
    out = []
    for dist, d in rows:
        if nn.result_field is not None:
            pb = Document()
            pb.CopyFrom(d.pb)
            set_field(pb.fields, nn.result_field, make_number(float(dist)))
            d = Doc(d.path, pb, d.create_us, d.update_us)
        out.append(d)
    return out
