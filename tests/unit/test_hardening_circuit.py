"""Issue 11, item 6: the circuit breaker opens on failures of a dependency, per dependency,
never on a caller's own input. Two tenants side by side over the in-memory fakes; the refusal
comes through the Vertex embedder adapter's own translation of a google-genai 400."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from google.genai import errors as genai_errors

from shared.adapters.vertex.embedder import _translate
from shared.domain.errors import InvalidInput, Unavailable
from shared.domain.models import Caller
from shared.services.feature_status import FeatureStatus
from shared.services.outages import EMBEDDINGS, VECTOR_SEARCH
from shared.services.similar_sessions import SimilarSessions
from tests.unit.test_search_service import World, q, world

TENANT_A = Caller(tenant_id="tenant-a", user_id="ann", auth_method="dev")
TENANT_B = Caller(tenant_id="tenant-b", user_id="bo", auth_method="dev")
REFUSED = "poison"


def refusing(w: World) -> None:
    """The embedder refuses any text holding REFUSED as Vertex AI does: HTTP 400."""
    real_query, real_documents = w.embedder.embed_query, w.embedder.embed_documents

    def check(texts: Sequence[str]) -> None:
        if any(REFUSED in t for t in texts):
            body = {"error": {"code": 400, "message": "bad input", "status": "INVALID_ARGUMENT"}}
            raise _translate(genai_errors.ClientError(400, body))

    def embed_query(text: str) -> list[float]:
        check([text])
        return real_query(text)

    def embed_documents(texts: Sequence[str]) -> list[list[float]]:
        check(texts)
        return real_documents(texts)

    w.embedder.embed_query = embed_query  # type: ignore[method-assign]  # the test swaps one method of its fake
    w.embedder.embed_documents = embed_documents  # type: ignore[method-assign]  # the test swaps one method of its fake


def status_of(w: World) -> dict[str, Any]:
    return FeatureStatus(
        embedder=lambda: w.embedder,
        vectors=lambda: w.vectors,
        analytics=None,
        outages=w.search._outages,
        cache_s=0,
    ).features()


def test_one_tenants_refused_query_leaves_the_other_tenants_search_undegraded() -> None:
    w = world()
    w.converse(TENANT_A, ["paris flight in may"])
    b_session = w.converse(TENANT_B, ["paris hotel booking", "near the louvre"])
    w.converse(TENANT_B, ["paris museum tickets"])
    refusing(w)

    with pytest.raises(InvalidInput) as refused:
        w.search.search(TENANT_A, q(f"paris {REFUSED}"))
    assert refused.value.code == "query_rejected"

    answer = w.search.search(TENANT_B, q("paris"))
    assert not answer.degraded and answer.reason is None
    similar = SimilarSessions(w.store, lambda: w.embedder, lambda: w.vectors, w.search._outages)
    assert similar.find(TENANT_B, b_session, limit=3)
    assert status_of(w)["search"] == {"state": "live"}
    assert w.search._outages.reason(EMBEDDINGS) is None
    assert w.search._outages.reason(VECTOR_SEARCH) is None


def test_an_embeddings_outage_opens_only_the_embeddings_circuit() -> None:
    w = world()
    w.converse(TENANT_B, ["paris hotel booking"])

    def down(text: str) -> list[float]:
        raise Unavailable("embeddings: 503")

    w.embedder.embed_query = down  # type: ignore[method-assign]  # the test swaps one method of its fake
    answer = w.search.search(TENANT_A, q("paris"))
    assert answer.degraded and answer.reason == "embeddings_unavailable"
    assert w.search._outages.reason(EMBEDDINGS) == "embeddings_unavailable"
    assert w.search._outages.reason(VECTOR_SEARCH) is None
    # The outage is the dependency's: every tenant's search falls back until retry time.
    assert w.search.search(TENANT_B, q("paris")).degraded
