"""The `VectorIndex` contract, passed by every adapter (see conftest.py for which)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.errors import InvalidInput
from shared.ports.vector_index import VectorFilter, VectorIndex, VectorRecord
from tests.conftest import unique_id
from tests.contract.vector_index.conftest import DIMS

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
MODEL = "model-a@384"


def vec(*weights: tuple[int, float]) -> list[float]:
    """A unit vector from (axis, weight) pairs."""
    v = [0.0] * DIMS
    for axis, weight in weights:
        v[axis] = weight
    norm = sum(x * x for x in v) ** 0.5
    return [x / norm for x in v]


def rec(
    point_id: str,
    vector: list[float],
    tenant: str,
    *,
    user: str = "u1",
    session: str = "s1",
    role: str = "user",
    at: datetime = T0,
    model: str = MODEL,
    terms: dict[str, float] | None = None,
) -> VectorRecord:
    return VectorRecord(
        id=point_id,
        vector=vector,
        tenant_id=tenant,
        user_id=user,
        session_id=session,
        role=role,
        created_at=at,
        model_id=model,
        terms=terms or {},
    )


def ids(neighbors) -> list[str]:
    return [n.id for n in neighbors]


@pytest.fixture
def tenant() -> str:
    return unique_id("t")


def where(tenant: str, **kw) -> VectorFilter:
    kw.setdefault("user_id", "u1")
    kw.setdefault("model_id", MODEL)
    return VectorFilter(tenant_id=tenant, **kw)


def test_nearest_first_with_similarity_scores(index: VectorIndex, tenant: str) -> None:
    index.upsert(
        [
            rec("a", vec((0, 1.0)), tenant),
            rec("b", vec((0, 1.0), (1, 1.0)), tenant),
            rec("c", vec((1, 1.0)), tenant),
        ]
    )
    found = index.find_neighbors(vec((0, 1.0)), where=where(tenant), limit=2)
    assert ids(found) == ["a", "b"]
    assert found[0].distance == pytest.approx(1.0, abs=1e-4)
    assert found[1].distance == pytest.approx(2**-0.5, abs=1e-4)
    assert found[0].session_id == "s1"


def test_upsert_is_idempotent_and_replaces(index: VectorIndex, tenant: str) -> None:
    first = rec("a", vec((0, 1.0)), tenant)
    index.upsert([first])
    index.upsert([first])
    assert ids(index.find_neighbors(vec((0, 1.0)), where=where(tenant), limit=10)) == ["a"]
    index.upsert([rec("a", vec((1, 1.0)), tenant)])
    found = index.find_neighbors(vec((1, 1.0)), where=where(tenant), limit=10)
    assert ids(found) == ["a"] and found[0].distance == pytest.approx(1.0, abs=1e-4)


def test_remove_and_unknown_ids(index: VectorIndex, tenant: str) -> None:
    index.upsert([rec("a", vec((0, 1.0)), tenant), rec("b", vec((0, 1.0), (1, 0.5)), tenant)])
    index.remove(["a", "never-there"])
    assert ids(index.find_neighbors(vec((0, 1.0)), where=where(tenant), limit=10)) == ["b"]
    index.remove([])


def test_tenant_user_session_and_role_restricts(index: VectorIndex, tenant: str) -> None:
    other = unique_id("t")
    v = vec((0, 1.0))
    index.upsert(
        [
            rec("mine-1", v, tenant, session="s1", role="user"),
            rec("mine-2", v, tenant, session="s2", role="assistant"),
            rec("mine-3", v, tenant, session="s3", role="user"),
            rec("bob-1", v, tenant, user="bob"),
            rec("other-tenant", v, other),
        ]
    )
    every = ids(index.find_neighbors(v, where=where(tenant), limit=10))
    assert sorted(every) == ["mine-1", "mine-2", "mine-3"]
    assert ids(index.find_neighbors(v, where=where(tenant, user_id="bob"), limit=10)) == ["bob-1"]
    assert ids(index.find_neighbors(v, where=where(other), limit=10)) == ["other-tenant"]
    sessions = index.find_neighbors(v, where=where(tenant, session_ids=("s1", "s2")), limit=10)
    assert sorted(ids(sessions)) == ["mine-1", "mine-2"]
    replies = index.find_neighbors(v, where=where(tenant, roles=("assistant",)), limit=10)
    assert ids(replies) == ["mine-2"]
    both = where(tenant, session_ids=("s1", "s3"), roles=("user",))
    assert sorted(ids(index.find_neighbors(v, where=both, limit=10))) == ["mine-1", "mine-3"]


def test_time_ranges_after_inclusive_before_exclusive(index: VectorIndex, tenant: str) -> None:
    v = vec((0, 1.0))
    index.upsert([rec(f"m{i}", v, tenant, at=T0 + timedelta(hours=i)) for i in range(4)])
    after = where(tenant, created_after=T0 + timedelta(hours=1))
    assert sorted(ids(index.find_neighbors(v, where=after, limit=10))) == ["m1", "m2", "m3"]
    before = where(tenant, created_before=T0 + timedelta(hours=2))
    assert sorted(ids(index.find_neighbors(v, where=before, limit=10))) == ["m0", "m1"]
    window = where(
        tenant, created_after=T0 + timedelta(hours=1), created_before=T0 + timedelta(hours=3)
    )
    assert sorted(ids(index.find_neighbors(v, where=window, limit=10))) == ["m1", "m2"]
    in_session = where(tenant, session_ids=("s1",), roles=("user",), created_after=T0)
    assert len(index.find_neighbors(v, where=in_session, limit=10)) == 4


def test_crowding_caps_results_per_session(index: VectorIndex, tenant: str) -> None:
    index.upsert(
        [
            rec("s1-a", vec((0, 1.0)), tenant, session="s1"),
            rec("s1-b", vec((0, 1.0), (1, 0.1)), tenant, session="s1"),
            rec("s1-c", vec((0, 1.0), (1, 0.2)), tenant, session="s1"),
            rec("s2-a", vec((0, 1.0), (1, 0.5)), tenant, session="s2"),
            rec("s3-a", vec((0, 1.0), (1, 0.9)), tenant, session="s3"),
        ]
    )
    one = index.find_neighbors(vec((0, 1.0)), where=where(tenant), limit=10, per_session=1)
    assert ids(one) == ["s1-a", "s2-a", "s3-a"]
    two = index.find_neighbors(vec((0, 1.0)), where=where(tenant), limit=3, per_session=2)
    assert ids(two) == ["s1-a", "s1-b", "s2-a"]


def test_embedding_models_are_kept_apart(index: VectorIndex, tenant: str) -> None:
    index.upsert(
        [
            rec("old", vec((0, 1.0)), tenant, model="model-old@384"),
            rec("new", vec((0, 1.0), (1, 0.3)), tenant, model=MODEL),
        ]
    )
    assert ids(index.find_neighbors(vec((0, 1.0)), where=where(tenant), limit=10)) == ["new"]
    old = where(tenant, model_id="model-old@384")
    assert ids(index.find_neighbors(vec((0, 1.0)), where=old, limit=10)) == ["old"]


def test_erasure_removes_every_vector_of_a_user(index: VectorIndex, tenant: str) -> None:
    v = vec((0, 1.0))
    mine = [rec(f"u1-{i}", v, tenant, session=f"s{i % 3}") for i in range(7)]
    index.upsert([*mine, rec("bob-0", v, tenant, user="bob", terms={"paris": 1.0})])
    index.remove([r.id for r in mine])
    assert index.find_neighbors(v, where=where(tenant), limit=50) == []
    assert index.find_by_terms({"paris": 1.0}, where=where(tenant), limit=50) == []
    assert ids(index.find_neighbors(v, where=where(tenant, user_id="bob"), limit=10)) == ["bob-0"]


def test_keywords_rank_by_score_within_the_restricts(index: VectorIndex, tenant: str) -> None:
    v = vec((0, 1.0))
    index.upsert(
        [
            rec("both", v, tenant, terms={"lisbon": 1.0, "flight": 1.2}),
            rec("one", v, tenant, terms={"lisbon": 1.1, "hotel": 1.0}, at=T0 + timedelta(1)),
            rec("none", v, tenant, terms={"hotel": 1.0}),
            rec("reply", v, tenant, terms={"flight": 0.5}, role="assistant"),
            rec("bob", v, tenant, user="bob", terms={"lisbon": 2.0, "flight": 2.0}),
        ]
    )
    query = {"lisbon": 1.0, "flight": 1.0}
    found = index.find_by_terms(query, where=where(tenant), limit=10)
    assert ids(found) == ["both", "one", "reply"]
    assert found[0].distance == pytest.approx(2.2, abs=1e-4)
    replies = index.find_by_terms(query, where=where(tenant, roles=("assistant",)), limit=10)
    assert ids(replies) == ["reply"]
    later = index.find_by_terms(query, where=where(tenant, created_after=T0 + timedelta(1)))
    assert ids(later) == ["one"]
    assert index.find_by_terms({}, where=where(tenant)) == []


def test_hybrid_fuses_dense_and_keyword_rankings(index: VectorIndex, tenant: str) -> None:
    index.upsert(
        [
            # close by meaning, no keyword
            rec("dense", vec((0, 1.0)), tenant, terms={"other": 1.0}),
            # farther by meaning, the keyword
            rec("word", vec((0, 1.0), (1, 1.0)), tenant, terms={"e4012": 1.0}),
            # second on both
            rec("mid", vec((0, 1.0), (1, 0.5)), tenant, terms={"e4012": 0.5}),
            rec("near", vec((0, 1.0), (1, 0.8)), tenant),
        ]
    )
    # dense: dense, mid, near, word; keywords: word, mid
    fused = index.find_hybrid(vec((0, 1.0)), {"e4012": 1.0}, where=where(tenant), limit=4)
    assert ids(fused)[0] == "mid"  # 2nd + 2nd beats 1st + absent and 4th + 1st
    assert set(ids(fused)) == {"dense", "word", "mid", "near"}
    scores = [n.distance for n in fused]
    assert scores == sorted(scores, reverse=True)
    dense_only = index.find_hybrid(vec((0, 1.0)), {}, where=where(tenant), limit=2)
    assert ids(dense_only) == ["dense", "mid"]


def test_stores_without_crowding_need_user_and_model(index: VectorIndex, tenant: str) -> None:
    from shared.adapters.chroma.vector_index import ChromaVectorIndex
    from shared.adapters.firestore.vector_index import FirestoreVectorIndex

    if not isinstance(index, FirestoreVectorIndex | ChromaVectorIndex):
        pytest.skip("Vertex and the fake serve tenant-wide queries")
    with pytest.raises(InvalidInput):
        index.find_neighbors(vec((0, 1.0)), where=VectorFilter(tenant_id=tenant), limit=1)
