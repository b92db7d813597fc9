"""The keyword side of hybrid search: terms of a text and their weights. No I/O.

A document's terms are its content words (stopwords out, a light suffix stemmer so "suspects"
meets "suspect" and "euros" meets "euro"), each weighted by BM25's saturated term frequency with
length normalisation (k1 = 1.2, b = 0.75, against a typical chat message of 16 terms). A
query's terms weigh 1 each. The score of a document for a query is the dot product of the two,
which is what a sparse-vector index computes (Vertex AI Vector Search's hybrid query) and what
the other backends compute locally (`shared.ports.vector_index.keyword_score`). There is no
inverse document frequency: no backend can keep corpus statistics per user for free, and
reciprocal rank fusion only needs the keyword side's order.
"""

from __future__ import annotations

from collections import Counter

from shared.services.text import STOPWORDS, words

K1 = 1.2
B = 0.75
TYPICAL_TERMS = 16.0
_NO_UNDOUBLING = frozenset("lsz")


def stem(word: str) -> str:
    """A deliberately small English suffix stripper (plural, -ing, -ed, possessive)."""
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) <= 3 or any(c.isdigit() for c in word):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    for suffix, minimum in (("ing", 6), ("ed", 5)):
        if word.endswith(suffix) and len(word) >= minimum:
            base = word[: -len(suffix)]
            if len(base) > 2 and base[-1] == base[-2] and base[-1] not in _NO_UNDOUBLING:
                base = base[:-1]
            return base
    if word.endswith("sses"):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _terms(text: str) -> list[str]:
    return [stem(w) for w in words(text) if w not in STOPWORDS]


def document_terms(text: str) -> dict[str, float]:
    """Term -> BM25 weight of one indexed text."""
    counts = Counter(_terms(text))
    length = sum(counts.values())
    norm = K1 * (1 - B + B * length / TYPICAL_TERMS)
    return {t: round(tf * (K1 + 1) / (tf + norm), 4) for t, tf in counts.items()}


def query_terms(text: str) -> dict[str, float]:
    """Term -> weight of a search query (each distinct term once)."""
    return dict.fromkeys(_terms(text), 1.0)
