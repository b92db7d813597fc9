"""Score rankings against an evaluation set: recall@k, MRR, nDCG@10, leaks, latency, hit@1.

`python -m benchmarks.retrieval.scorer --run run.jsonl [--data DIR] [--split test]` scores any
system's answers: a run file has one line per question, `{"id": ..., "results": [message ids,
best first], "ms": latency}` (and `{"id": ..., "results": [session ids]}` lines in a
`--similar` run). Definitions (binary relevance, a question's gold = its evidence ids):
- recall@k: share of questions with at least one gold id in the first k results.
- MRR: mean of 1 / rank of the first gold result (0 when none is returned).
- nDCG@10: DCG of the first 10 results over the DCG of the ideal order of the gold ids.
- leaks: results that belong to another user or tenant than the one asking (must be 0).
- hit@1 (similar conversations): share of sessions whose first answer is a gold session.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.retrieval.dataset import DATA, SPLITS, EvalSet, Question, SimilarCase, load

KS = (1, 5, 10)


@dataclass(frozen=True)
class Scores:
    questions: int
    recall: dict[int, float]
    mrr: float
    ndcg10: float
    leaks: int
    p50_ms: float | None = None
    p95_ms: float | None = None

    def row(self) -> list[str]:
        cells = [f"{self.recall[k]:.3f}" for k in KS] + [f"{self.mrr:.3f}", f"{self.ndcg10:.3f}"]
        timing = [_ms(self.p50_ms), _ms(self.p95_ms)]
        return [str(self.questions), *cells, str(self.leaks), *timing]


HEADERS = ["questions", "R@1", "R@5", "R@10", "MRR", "nDCG@10", "leaks", "p50 ms", "p95 ms"]


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def score(
    evalset: EvalSet,
    questions: Sequence[Question],
    results: Mapping[str, Sequence[str]],
    latencies_ms: Sequence[float] = (),
) -> Scores:
    owners = {mid: (s.tenant_id, s.user_id) for mid, (s, _) in evalset.messages().items()}
    recall = dict.fromkeys(KS, 0.0)
    mrr = ndcg = 0.0
    leaks = 0
    for q in questions:
        ranked = list(results.get(q.id, ()))
        gold = set(q.gold)
        leaks += sum(1 for mid in ranked if owners.get(mid) != (q.tenant_id, q.user_id))
        first = next((i for i, mid in enumerate(ranked) if mid in gold), None)
        for k in KS:
            recall[k] += first is not None and first < k
        mrr += 0.0 if first is None else 1.0 / (first + 1)
        dcg = sum(1.0 / math.log2(i + 2) for i, mid in enumerate(ranked[:10]) if mid in gold)
        ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(gold), 10)))
        ndcg += dcg / ideal
    n = len(questions) or 1
    return Scores(
        questions=len(questions),
        recall={k: v / n for k, v in recall.items()},
        mrr=mrr / n,
        ndcg10=ndcg / n,
        leaks=leaks,
        p50_ms=percentile(latencies_ms, 0.5) if latencies_ms else None,
        p95_ms=percentile(latencies_ms, 0.95) if latencies_ms else None,
    )


def hit_at_1(cases: Sequence[SimilarCase], results: Mapping[str, Sequence[str]]) -> float:
    hits = sum(1 for c in cases if list(results.get(c.id, ()))[:1] in ([g] for g in c.gold))
    return hits / (len(cases) or 1)


def _read_run(path: Path) -> tuple[dict[str, list[str]], list[float]]:
    results: dict[str, list[str]] = {}
    latencies: list[float] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                results[row["id"]] = list(row["results"])
                if "ms" in row:
                    latencies.append(float(row["ms"]))
    return results, latencies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.retrieval.scorer")
    parser.add_argument("--data", type=Path, default=DATA, help="the evaluation set's folder")
    parser.add_argument("--run", type=Path, required=True, help="answers to the questions")
    parser.add_argument("--similar", type=Path, help="answers to the similar cases")
    parser.add_argument("--split", choices=SPLITS, default="test")
    args = parser.parse_args(argv)
    evalset = load(args.data).split(args.split)
    results, latencies = _read_run(args.run)
    scores = score(evalset, evalset.questions, results, latencies)
    print(" | ".join(HEADERS))
    print(" | ".join(scores.row()))
    if args.similar is not None:
        similar, _ = _read_run(args.similar)
        print(f"similar hit@1: {hit_at_1(evalset.similar, similar):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
