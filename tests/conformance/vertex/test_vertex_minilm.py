"""The numpy all-MiniLM-L6-v2 against sentence-transformers' published numbers, without HTTP."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from emulators.vertex.minilm import DIMENSIONS, MiniLM, _erf, get_model

REFERENCE = json.loads((Path(__file__).parent / "testdata" / "minilm_reference.json").read_text())


@pytest.fixture(scope="module")
def model() -> MiniLM:
    return get_model()


def test_similarities_match_sentence_transformers(model: MiniLM) -> None:
    vectors = np.stack([e.values for e in model.embed(REFERENCE["sentences"])])

    similarities = vectors @ vectors.T

    np.testing.assert_allclose(
        similarities, np.array(REFERENCE["similarities"]), atol=REFERENCE["tolerance"]
    )


def test_vectors_are_unit_length_384_dims_and_deterministic(model: MiniLM) -> None:
    texts = ["alpha", "a somewhat longer sentence about the sea", ""]

    first = model.embed(texts)
    # Another batch composition (other padding) must not change a text's vector.
    alone = [model.embed([text])[0] for text in texts]

    for a, b in zip(first, alone, strict=True):
        assert a.values.shape == (DIMENSIONS,)
        assert abs(float(np.linalg.norm(a.values)) - 1.0) < 1e-5
        np.testing.assert_allclose(a.values, b.values, atol=1e-6)


def test_long_texts_are_truncated_and_reported(model: MiniLM) -> None:
    long_text = " ".join(["memory"] * 600)

    [cut] = model.embed([long_text])
    [cut_512] = model.embed([long_text], max_tokens=512)

    assert cut.truncated and cut.token_count == 256
    assert cut_512.truncated and cut_512.token_count == 512
    assert model.count_tokens(long_text) == 602  # [CLS] + 600 words + [SEP]


def test_erf_is_accurate_enough_for_exact_gelu() -> None:
    xs = np.linspace(-8, 8, 20001)

    error = np.abs(_erf(xs) - np.array([math.erf(x) for x in xs]))

    assert error.max() < 2e-7
