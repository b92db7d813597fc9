"""`python -m benchmarks.retrieval [--split dev] [--data DIR] [--grid]`: runs outside the stack.

The product's search on the in-memory vector index with the local MiniLM model in this process
(the Vertex emulator's model, without HTTP): the loop to tune ranking on the dev split, by
ranking mode, neighbour indexing and time words, with a breakdown by question kind. The table
for every backend is the `retrieval` section of `make bench`.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from benchmarks.retrieval.dataset import DATA, SPLITS, load
from benchmarks.retrieval.evaluate import (
    CachedEmbedder,
    LocalMiniLM,
    evaluate,
    index_set,
    seed_store,
)
from benchmarks.retrieval.scorer import HEADERS, score
from shared.adapters.in_memory.vector_index import InMemoryVectorIndex
from shared.services.index_text import NeighbourMode
from shared.services.message_search import RANKINGS, SearchLimits


def _on(flag: bool) -> str:
    return "on" if flag else "off"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.retrieval", description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--split", choices=SPLITS, default="dev")
    parser.add_argument("--neighbours", nargs="+", default=["none", "question", "pair"])
    parser.add_argument("--ranking", nargs="+", default=list(RANKINGS))
    parser.add_argument("--dense-weight", type=float, nargs="+", default=[0.5])
    parser.add_argument("--time-words", choices=["on", "off", "both"], default="on")
    parser.add_argument("--speaker-cue", choices=["on", "off", "both"], default="both")
    args = parser.parse_args(argv)
    evalset = load(args.data)
    part = evalset.split(args.split)
    embedder = CachedEmbedder(LocalMiniLM())
    store = seed_store(evalset)
    switch = {"on": [True], "off": [False], "both": [False, True]}
    times, cues = switch[args.time_words], switch[args.speaker_cue]
    print(" | ".join(["neighbours", "ranking", "w", "time", "cue", *HEADERS, "similar hit@1"]))
    neighbours: NeighbourMode
    for neighbours in args.neighbours:
        vectors = InMemoryVectorIndex()
        index_set(evalset, store, embedder, vectors, neighbours)
        for ranking in args.ranking:
            for weight in args.dense_weight if ranking == "hybrid" else [1.0]:
                for time_words, cue in ((t, c) for t in times for c in cues):
                    limits = replace(
                        SearchLimits(),
                        ranking=ranking,
                        dense_weight=weight,
                        time_words=time_words,
                        speaker_cue=cue,
                    )
                    outcome = evaluate(part, store, embedder, vectors, limits)
                    head = [neighbours, ranking, f"{weight:.2f}", _on(time_words), _on(cue)]
                    print(" | ".join([*head, *outcome.scores.row(), f"{outcome.similar_hit1:.3f}"]))
                    by_kind = {}
                    for kind in sorted({q.kind for q in part.questions}):
                        qs = [q for q in part.questions if q.kind == kind]
                        by_kind[kind] = score(part, qs, outcome.results).mrr
                    kinds = ", ".join(f"{k} {v:.3f}" for k, v in by_kind.items())
                    print(f"    MRR by kind: {kinds}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
