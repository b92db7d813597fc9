"""embed_content through google-genai: the routes it picks, real MiniLM vectors, Vertex limits."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from google.genai import errors, types

# (anchor, related, unrelated)
TRIPLETS = [
    (
        "How do I reset my password?",
        "I forgot my login credentials and need to change them.",
        "The recipe calls for two cups of flour.",
    ),
    (
        "The cat sat on the mat.",
        "A kitten is resting on the rug.",
        "Stock markets fell sharply today.",
    ),
    (
        "What is the capital of France?",
        "Paris is the capital city of France.",
        "Photosynthesis converts light into chemical energy.",
    ),
    (
        "I love playing football on weekends.",
        "Soccer is my favourite weekend sport.",
        "The server returned a 500 error.",
    ),
]


def embed(client: Any, model: str, texts: list[str], task: str, **config: Any) -> np.ndarray:
    response = client.models.embed_content(
        model=model, contents=texts, config=types.EmbedContentConfig(task_type=task, **config)
    )
    return np.array([e.values for e in response.embeddings])


def test_text_embedding_005_batch_gives_unit_384_dim_vectors(genai_client: Any) -> None:
    texts = [t for triplet in TRIPLETS for t in triplet]

    response = genai_client.models.embed_content(
        model="text-embedding-005",
        contents=texts,
        config=types.EmbedContentConfig(task_type="RETRIEVAL_DOCUMENT"),
    )

    vectors = np.array([e.values for e in response.embeddings])
    assert vectors.shape == (len(texts), 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    stats = response.embeddings[0].statistics
    assert stats.token_count > 0 and not stats.truncated


@pytest.mark.parametrize("model", ["text-embedding-005", "gemini-embedding-001"])
def test_queries_score_related_documents_above_unrelated(genai_client: Any, model: str) -> None:
    for anchor, related, unrelated in TRIPLETS:
        # gemini-embedding-001 takes one text per request on Vertex AI.
        [query] = embed(genai_client, model, [anchor], "RETRIEVAL_QUERY")
        docs = np.vstack(
            [
                embed(genai_client, model, [text], "RETRIEVAL_DOCUMENT")
                for text in (related, unrelated)
            ]
        )

        related_score, unrelated_score = docs @ query
        assert related_score > unrelated_score + 0.3, (anchor, related_score, unrelated_score)


def test_embeddings_are_deterministic(genai_client: Any) -> None:
    first = embed(genai_client, "text-embedding-005", ["same text"], "RETRIEVAL_QUERY")
    again = embed(genai_client, "text-embedding-005", ["same text"], "RETRIEVAL_QUERY")

    np.testing.assert_array_equal(first, again)


def test_embed_content_route_for_newer_gemini_embedding_models(genai_client: Any) -> None:
    [vector] = embed(genai_client, "gemini-embedding-2", ["one content"], "RETRIEVAL_DOCUMENT")
    [same] = embed(genai_client, "text-embedding-005", ["one content"], "RETRIEVAL_DOCUMENT")

    np.testing.assert_allclose(vector, same, atol=1e-6)


def test_fewer_output_dimensions_cut_the_vector(genai_client: Any) -> None:
    [full] = embed(genai_client, "text-embedding-005", ["cut me"], "RETRIEVAL_QUERY")
    [cut] = embed(
        genai_client, "text-embedding-005", ["cut me"], "RETRIEVAL_QUERY", output_dimensionality=128
    )

    np.testing.assert_allclose(cut, full[:128], atol=1e-7)


def test_more_dimensions_than_the_local_model_is_invalid(genai_client: Any) -> None:
    with pytest.raises(errors.ClientError) as caught:
        embed(
            genai_client, "text-embedding-005", ["x"], "RETRIEVAL_QUERY", output_dimensionality=768
        )

    assert caught.value.code == 400
    assert "384" in (caught.value.message or "")


def test_gemini_embedding_001_takes_one_text_per_request(genai_client: Any) -> None:
    with pytest.raises(errors.ClientError) as caught:
        embed(genai_client, "gemini-embedding-001", ["a", "b"], "RETRIEVAL_DOCUMENT")

    assert caught.value.code == 400


def test_unknown_task_type_is_invalid(genai_client: Any) -> None:
    with pytest.raises(errors.ClientError) as caught:
        embed(genai_client, "text-embedding-005", ["x"], "NOT_A_TASK")

    assert caught.value.status == "INVALID_ARGUMENT"


def test_text_over_2048_tokens_fails_without_auto_truncate(genai_client: Any) -> None:
    long_text = " ".join(["memory"] * 2100)

    with pytest.raises(errors.ClientError):
        embed(
            genai_client,
            "text-embedding-005",
            [long_text],
            "RETRIEVAL_DOCUMENT",
            auto_truncate=False,
        )
    response = genai_client.models.embed_content(
        model="text-embedding-005",
        contents=[long_text],
        config=types.EmbedContentConfig(task_type="RETRIEVAL_DOCUMENT"),
    )
    assert response.embeddings[0].statistics.truncated


def test_injected_embed_faults(genai_client: Any, admin: Any) -> None:
    admin("faults", {"count": 1, "code": 503, "scope": "embed"})

    with pytest.raises(errors.ServerError) as caught:
        embed(genai_client, "text-embedding-005", ["x"], "RETRIEVAL_QUERY")
    assert caught.value.code == 503
    assert embed(genai_client, "text-embedding-005", ["x"], "RETRIEVAL_QUERY").shape == (1, 384)
