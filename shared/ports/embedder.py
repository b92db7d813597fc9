"""The embedding port: text in, vectors out, from one model whose id goes with each vector."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence


def embedding_model_id(model: str, dimensions: int) -> str:
    """`text-embedding-005@768`: vectors are comparable only when these ids are equal."""
    return f"{model}@{dimensions}"


class Embedder(ABC):
    """Adapters batch within the model's request limits themselves, raise `Unavailable` for
    transient failures (timeouts, 429, 5xx) and `UpstreamError` for the rest."""

    #: Model and output size, e.g. `text-embedding-005@768`: two vectors are comparable only
    #: if their ids are equal, so it is stored with every vector and used as a search filter.
    model_id: str
    dimensions: int

    @abstractmethod
    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """Vectors for texts to store (retrieval documents), in the order given."""

    @abstractmethod
    def embed_query(self, text: str) -> list[float]:
        """The vector of a search query (retrieval query)."""
