"""`Embedder` in memory: hashed bag-of-words vectors, deterministic and L2-normalised, so texts
sharing words score higher than texts that share none (enough for unit tests of search)."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence

from shared.ports.embedder import Embedder, embedding_model_id

_WORD = re.compile(r"\w+")


class InMemoryEmbedder(Embedder):
    def __init__(self, dimensions: int = 64, model: str = "memory-hash") -> None:
        self.dimensions = dimensions
        self.model_id = embedding_model_id(model, dimensions)
        self.calls: list[list[str]] = []

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return [self._vector(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        self.calls.append([text])
        return self._vector(text)

    def _vector(self, text: str) -> list[float]:
        vector = [0.0] * self.dimensions
        for word in _WORD.findall(text.lower()):
            digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
            vector[int.from_bytes(digest, "big") % self.dimensions] += 1.0
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        return [v / norm for v in vector]
