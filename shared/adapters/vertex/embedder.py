"""`Embedder` on Vertex AI embeddings through google-genai's `models.embed_content`.

Requests stay within Vertex's limits: gemini-embedding-001 takes ONE text per request; the
text-embedding models take up to 250 texts and 20,000 tokens. Tokens are estimated locally
(conservatively) so a batch is split before the service would refuse it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from shared.domain.errors import HybridSessionsError, InvalidInput, Unavailable, UpstreamError
from shared.ports.embedder import Embedder, embedding_model_id

if TYPE_CHECKING:
    import httpx

    from shared.config import Settings

MAX_TEXTS_PER_REQUEST = 250
MAX_TOKENS_PER_REQUEST = 20_000
# Vertex cuts each text at 2,048 tokens (autoTruncate), so no text counts for more than that.
MAX_TOKENS_PER_TEXT = 2_048
# Safety margin: the local estimate is approximate; stay below 3/4 of the real limit.
_TOKEN_BUDGET = MAX_TOKENS_PER_REQUEST * 3 // 4
ONE_TEXT_MODELS = frozenset({"gemini-embedding-001"})
_EMULATOR_TOKEN = "local-emulator"


def estimate_tokens(text: str) -> int:
    """About three characters a token: on the safe side for English and code."""
    return min(MAX_TOKENS_PER_TEXT, max(1, (len(text) + 2) // 3))


def batches(texts: Sequence[str], max_texts: int) -> Iterator[tuple[int, int]]:
    """[start, end) ranges of `texts` that each fit one request."""
    start, tokens = 0, 0
    for i, text in enumerate(texts):
        cost = estimate_tokens(text)
        if i > start and (i - start >= max_texts or tokens + cost > _TOKEN_BUDGET):
            yield start, i
            start, tokens = i, 0
        tokens += cost
    if start < len(texts):
        yield start, len(texts)


class VertexEmbedder(Embedder):
    def __init__(self, client: Any, model: str, dimensions: int) -> None:
        self._client = client
        self._model = model
        self.dimensions = dimensions
        self.model_id = embedding_model_id(model, dimensions)
        self._max_texts = 1 if model in ONE_TEXT_MODELS else MAX_TEXTS_PER_REQUEST

    @classmethod
    def from_settings(
        cls, settings: Settings, *, httpx_client: httpx.Client | None = None
    ) -> VertexEmbedder:
        """`httpx_client` lets tests put a mock transport under the SDK."""
        from google import genai
        from google.genai import types

        options = types.HttpOptions(timeout=int(settings.vertex_timeout_s * 1000))
        credentials = None
        if settings.vertex_endpoint:
            from google.oauth2.credentials import Credentials

            # genai keeps the /projects/.. path under base_url only with a project and a
            # location, and then insists on credentials: a placeholder token (unchecked there).
            options.base_url = settings.vertex_endpoint
            credentials = Credentials(token=_EMULATOR_TOKEN)
        if httpx_client is not None:
            options.httpx_client = httpx_client
        client = genai.Client(
            vertexai=True,
            project=settings.project,
            location=settings.vertex_location,
            credentials=credentials,
            http_options=options,
        )
        return cls(client, settings.embedding_model, settings.embedding_dimensions)

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start, end in batches(texts, self._max_texts):
            vectors.extend(self._embed(texts[start:end], "RETRIEVAL_DOCUMENT"))
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self._embed([text], "RETRIEVAL_QUERY")[0]

    def _embed(self, texts: Sequence[str], task_type: str) -> list[list[float]]:
        from google.genai import types

        config = types.EmbedContentConfig(
            task_type=task_type, output_dimensionality=self.dimensions, auto_truncate=True
        )
        try:
            response = self._client.models.embed_content(
                model=self._model, contents=list(texts), config=config
            )
        except Exception as exc:
            raise _translate(exc) from exc
        vectors = [list(e.values or []) for e in response.embeddings or []]
        if len(vectors) != len(texts) or any(len(v) != self.dimensions for v in vectors):
            raise UpstreamError(
                f"{self._model} returned {len(vectors)} vector(s) for {len(texts)} text(s), "
                f"expected {self.dimensions} dimensions each",
                code="embedding_shape",
            )
        return vectors


def _translate(exc: Exception) -> HybridSessionsError:
    import httpx
    from google.genai import errors

    if isinstance(exc, errors.APIError):
        if exc.code in (408, 429) or exc.code >= 500:
            return Unavailable(f"embeddings: {exc.code} {exc.message}")
        if exc.code == 400:
            # INVALID_ARGUMENT: the text sent, not the service, is the problem.
            return InvalidInput(
                f"embeddings: {exc.code} {exc.message}", code="embedding_input_rejected"
            )
        return UpstreamError(f"embeddings: {exc.code} {exc.message}", code="embedding_rejected")
    if isinstance(exc, httpx.TransportError | TimeoutError | OSError):
        return Unavailable(f"embeddings: {type(exc).__name__}: {exc}")
    raise exc
