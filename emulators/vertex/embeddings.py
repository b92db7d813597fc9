"""Vertex AI's text embedding routes, answered with all-MiniLM-L6-v2 vectors.

`:predict` is what google-genai's `models.embed_content` sends for `gemini-embedding-001` and the
`text-embedding-*` / `text-multilingual-embedding-*` models; `:embedContent` is what it sends for
the other Gemini embedding models (one content per call). Request limits follow Vertex's "Get
text embeddings" page: at most 250 texts and 20,000 tokens per request, one text per request for
gemini-embedding-001, 2,048 tokens per text (cut when autoTruncate is true, the default; an error
when it is false). Differences, by design:

- Vectors have 384 dimensions (the local model's), whatever the model name. outputDimensionality
  may ask for fewer (the vector is cut, and not re-normalised, as Vertex does for cut Gemini
  embeddings); asking for more is INVALID_ARGUMENT, so a config expecting 768 or 3072 fails
  loudly instead of silently mixing sizes. Set HS_EMBEDDING_DIMENSIONS=384 locally.
- The vector reflects the first 256 tokens of a text (the local model's training length);
  `statistics.token_count` and `truncated` are reported on Vertex's 2,048-token scale.
- task_type and title are validated but do not change the vector: MiniLM is symmetric.
"""

from __future__ import annotations

from typing import Any

from emulators.vertex.errors import invalid
from emulators.vertex.minilm import DIMENSIONS, MiniLM

TASK_TYPES = frozenset(
    {
        "RETRIEVAL_QUERY",
        "RETRIEVAL_DOCUMENT",
        "SEMANTIC_SIMILARITY",
        "CLASSIFICATION",
        "CLUSTERING",
        "QUESTION_ANSWERING",
        "FACT_VERIFICATION",
        "CODE_RETRIEVAL_QUERY",
    }
)
MAX_TEXTS_PER_REQUEST = 250
MAX_TOKENS_PER_REQUEST = 20_000
MAX_TOKENS_PER_TEXT = 2_048


def is_predict_model(model: str) -> bool:
    """Models Vertex serves embeddings for through `:predict`."""
    return model == "gemini-embedding-001" or model.startswith(
        ("text-embedding-", "text-multilingual-embedding-", "textembedding-gecko")
    )


def is_embed_content_model(model: str) -> bool:
    """Gemini embedding models other than gemini-embedding-001 (google-genai's own rule)."""
    return "embedding" in model and "gemini" in model and model != "gemini-embedding-001"


def _dimensions(value: Any) -> int:
    if value is None:
        return DIMENSIONS
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise invalid("outputDimensionality must be a positive integer")
    if value > DIMENSIONS:
        raise invalid(
            f"outputDimensionality {value} is not supported by the local emulator's model, "
            f"which produces {DIMENSIONS}-dimensional vectors; ask for {DIMENSIONS} or fewer"
        )
    return value


def _auto_truncate(value: Any) -> bool:
    if value is None:
        return True
    if not isinstance(value, bool):
        raise invalid("autoTruncate must be a boolean")
    return value


def _task_type(value: Any) -> None:
    if value is not None and value not in TASK_TYPES:
        raise invalid(f"Unsupported task_type {value!r}; expected one of {sorted(TASK_TYPES)}")


def _embed(model: MiniLM, texts: list[str], dims: int, auto_truncate: bool) -> list[dict[str, Any]]:
    counts = [model.count_tokens(text) for text in texts]
    for i, count in enumerate(counts):
        if count > MAX_TOKENS_PER_TEXT and not auto_truncate:
            raise invalid(
                f"Input {i} has {count} tokens, more than the maximum of {MAX_TOKENS_PER_TEXT}; "
                "set autoTruncate to true to cut it"
            )
    if sum(min(c, MAX_TOKENS_PER_TEXT) for c in counts) > MAX_TOKENS_PER_REQUEST:
        raise invalid(
            f"Request has more than {MAX_TOKENS_PER_REQUEST} input tokens; send fewer texts"
        )
    vectors = model.embed(texts)
    return [
        {
            "values": [float(v) for v in vector.values[:dims]],
            "statistics": {
                "token_count": min(count, MAX_TOKENS_PER_TEXT),
                "truncated": count > MAX_TOKENS_PER_TEXT,
            },
        }
        for vector, count in zip(vectors, counts, strict=True)
    ]


def predict(model: MiniLM, model_name: str, body: dict[str, Any]) -> dict[str, Any]:
    instances = body.get("instances")
    if not isinstance(instances, list) or not instances:
        raise invalid("instances must be a non-empty list")
    if len(instances) > MAX_TEXTS_PER_REQUEST:
        raise invalid(f"At most {MAX_TEXTS_PER_REQUEST} instances are allowed per request")
    if model_name == "gemini-embedding-001" and len(instances) > 1:
        raise invalid("gemini-embedding-001 accepts only one instance per request on Vertex AI")
    texts = []
    for i, instance in enumerate(instances):
        if not isinstance(instance, dict) or not isinstance(instance.get("content"), str):
            raise invalid(f"instances[{i}].content must be a string")
        task_type = instance.get("task_type", instance.get("taskType"))
        _task_type(task_type)
        if instance.get("title") is not None and task_type != "RETRIEVAL_DOCUMENT":
            raise invalid("title is only valid with task_type RETRIEVAL_DOCUMENT")
        texts.append(instance["content"])
    parameters = body.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise invalid("parameters must be an object")
    embeddings = _embed(
        model,
        texts,
        _dimensions(parameters.get("outputDimensionality")),
        _auto_truncate(parameters.get("autoTruncate")),
    )
    return {
        "predictions": [{"embeddings": e} for e in embeddings],
        "metadata": {"billableCharacterCount": sum(len(t) for t in texts)},
    }


def embed_content(model: MiniLM, body: dict[str, Any]) -> dict[str, Any]:
    content = body.get("content")
    parts = content.get("parts") if isinstance(content, dict) else None
    if not isinstance(parts, list) or not parts:
        raise invalid("content must have at least one part")
    texts = [p["text"] for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str)]
    if len(texts) != len(parts):
        raise invalid("the local emulator embeds text parts only")
    config = body.get("embedContentConfig") or {}
    if not isinstance(config, dict):
        raise invalid("embedContentConfig must be an object")
    _task_type(config.get("taskType"))
    [embedding] = _embed(
        model,
        ["\n".join(texts)],
        _dimensions(config.get("outputDimensionality")),
        _auto_truncate(config.get("autoTruncate")),
    )
    return {
        "embedding": {"values": embedding["values"]},
        "usageMetadata": {"promptTokenCount": embedding["statistics"]["token_count"]},
        "truncated": embedding["statistics"]["truncated"],
    }
