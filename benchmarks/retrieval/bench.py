"""The `retrieval` section of `make bench`: search quality per vector backend and ranking mode.

On the test split of the project's evaluation set (`benchmarks/retrieval/README.md`), with the
local MiniLM model served by the stack's Vertex AI emulator (`VertexEmbedder`, each distinct
text embedded once per run): recall@1/5/10, MRR, nDCG@10, leaks, latency p50/p95 of
`MessageSearch.search` and hit@1 of similar conversations, for every backend (the in-memory
fake, Vertex AI Vector Search on the emulator, Firestore vector search on the Firestore
emulator in strict-index mode, a real Chroma server when `make chroma` installed it) and every
ranking mode (dense, keyword, hybrid; the default extras on: replies indexed with their
question, time words, speaker cues). An ablation on the
in-memory backend shows what each extra adds, and a cost model per backend prices indexing and
search from the calls this run made (the vector queries and the documents they returned).
"""

from __future__ import annotations

import json
import tempfile
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from benchmarks.cost import load_prices
from benchmarks.harness import LOG_DIR, Bench, unique
from benchmarks.plan import Plan
from benchmarks.report import Section
from benchmarks.retrieval.dataset import EvalSet, load
from benchmarks.retrieval.evaluate import CachedEmbedder, Outcome, evaluate, index_set, seed_store
from emulators.launcher import REPO_ROOT, ManagedProcess, free_port
from shared.adapters.in_memory.vector_index import InMemoryVectorIndex
from shared.ports.vector_index import Neighbor, VectorFilter, VectorIndex, VectorRecord
from shared.services.index_text import IndexTextBuilder, NeighbourMode
from shared.services.message_search import RANKINGS, SearchLimits

BACKENDS = ("memory", "vertex", "firestore", "chroma")
DEFAULTS = SearchLimits()
ABLATION: list[tuple[str, NeighbourMode, SearchLimits]] = [
    (
        "dense, message text only, no cues",
        "none",
        replace(DEFAULTS, time_words=False, speaker_cue=False),
    ),
    ("+ time words", "none", replace(DEFAULTS, speaker_cue=False)),
    ("+ speaker cues", "none", DEFAULTS),
    ("+ replies indexed with their question (default)", "question", DEFAULTS),
    ("  with pair indexing instead", "pair", DEFAULTS),
    (
        "  hybrid, dense weight 0.7",
        "question",
        replace(DEFAULTS, ranking="hybrid", dense_weight=0.7),
    ),
]
MONTH_HOURS = 730
CHROMA = REPO_ROOT / ".tools" / "chroma" / "bin" / "chroma"  # make chroma (make test installs it)


class CountingIndex(VectorIndex):
    """A backend with its queries and returned neighbours counted (benchmark only)."""

    def __init__(self, inner: VectorIndex) -> None:
        self.inner = inner
        self.queries = 0
        self.returned = 0
        self.upserted = 0

    def _count(self, found: list[Neighbor]) -> list[Neighbor]:
        self.queries += 1
        self.returned += len(found)
        return found

    def upsert(self, records: Sequence[VectorRecord]) -> None:
        self.upserted += len(records)
        self.inner.upsert(records)

    def remove(self, ids: Sequence[str]) -> None:
        self.inner.remove(ids)

    def find_neighbors(
        self,
        vector: Sequence[float],
        *,
        where: VectorFilter,
        limit: int = 10,
        per_session: int | None = None,
    ) -> list[Neighbor]:
        return self._count(
            self.inner.find_neighbors(vector, where=where, limit=limit, per_session=per_session)
        )

    def find_by_terms(
        self,
        terms: Mapping[str, float],
        *,
        where: VectorFilter,
        limit: int = 10,
        per_session: int | None = None,
    ) -> list[Neighbor]:
        return self._count(
            self.inner.find_by_terms(terms, where=where, limit=limit, per_session=per_session)
        )

    def find_hybrid(
        self,
        vector: Sequence[float],
        terms: Mapping[str, float],
        *,
        where: VectorFilter,
        limit: int = 10,
        per_session: int | None = None,
        dense_weight: float = 0.5,
    ) -> list[Neighbor]:
        # Counted as the backend answers it: Vertex in one query, the others in two.
        if type(self.inner).find_hybrid is VectorIndex.find_hybrid:
            return VectorIndex.find_hybrid(
                self,
                vector,
                terms,
                where=where,
                limit=limit,
                per_session=per_session,
                dense_weight=dense_weight,
            )
        return self._count(
            self.inner.find_hybrid(
                vector,
                terms,
                where=where,
                limit=limit,
                per_session=per_session,
                dense_weight=dense_weight,
            )
        )


@dataclass
class Measured:
    backend: str
    ranking: str
    outcome: Outcome
    queries_per_search: float
    returned_per_search: float


def _vertex_index(bench: Bench) -> VectorIndex:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud.aiplatform_v1 import IndexServiceClient, MatchServiceClient

    from shared.adapters.vertex.vector_index import VertexVectorIndex

    url = bench.url("vertex")
    parent = "projects/retrieval-bench/locations/us-central1"
    name = unique("eval")
    index, endpoint, deployed = (
        f"{parent}/indexes/{name}",
        f"{parent}/indexEndpoints/{name}",
        f"d_{name}".replace("-", "_"),
    )
    body = {
        "indexes": [{"name": index, "dimensions": 384, "indexUpdateMethod": "STREAM_UPDATE"}],
        "indexEndpoints": [
            {"name": endpoint, "deployedIndexes": [{"id": deployed, "index": index}]}
        ],
    }
    request = urllib.request.Request(
        f"{url}/emulator/v1/config",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(request, timeout=10).close()
    options = {"api_endpoint": url}
    credentials = AnonymousCredentials()
    return VertexVectorIndex(
        IndexServiceClient(transport="rest", client_options=options, credentials=credentials),
        MatchServiceClient(transport="rest", client_options=options, credentials=credentials),
        index=index,
        index_endpoint=endpoint,
        deployed_index_id=deployed,
    )


def _firestore_index(bench: Bench) -> VectorIndex:
    import os

    from google.cloud import firestore

    from shared.adapters.firestore.vector_index import FirestoreVectorIndex

    assert os.environ.get("FIRESTORE_EMULATOR_HOST"), "the bench points this process at the stack"
    return FirestoreVectorIndex(firestore.Client(project=unique("retrieval-bench")))


def _embedder() -> Any:
    """The product's Vertex embedder on the stack's emulator, with a deadline for a busy
    2-core machine (a batch of MiniLM forward passes can take more than the product's 10 s)."""
    from shared.adapters.vertex.embedder import VertexEmbedder
    from shared.config import get_settings

    return VertexEmbedder.from_settings(get_settings().model_copy(update={"vertex_timeout_s": 300}))


def _chroma_index(server: ManagedProcess) -> VectorIndex:
    import chromadb

    from shared.adapters.chroma.vector_index import ChromaVectorIndex

    return ChromaVectorIndex(chromadb.HttpClient(host=server.host, port=server.port))


@contextmanager
def _chroma_server() -> Iterator[ManagedProcess | None]:
    """The Chroma server of `make chroma` on a free port, or None when it is not installed."""
    if not CHROMA.exists():
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="bench-chroma-") as path:
        port = free_port()
        server = ManagedProcess(
            name="chroma",
            argv=[str(CHROMA), "run", "--path", path, "--host", "127.0.0.1", "--port", str(port)],
            host="127.0.0.1",
            port=port,
            log_path=LOG_DIR / f"chroma-{port}.log",
        )
        server.start(timeout=120)
        try:
            yield server
        finally:
            server.stop()


def _factories(
    bench: Bench | None, chroma: ManagedProcess | None
) -> dict[str, Callable[[], VectorIndex]]:
    factories: dict[str, Callable[[], VectorIndex]] = {"memory": InMemoryVectorIndex}
    if bench is not None and bench.stack is not None:
        factories["vertex"] = lambda: _vertex_index(bench)
        factories["firestore"] = lambda: _firestore_index(bench)
    if chroma is not None:
        factories["chroma"] = lambda: _chroma_index(chroma)
    return factories


def measure(
    evalset: EvalSet, embedder: CachedEmbedder, factories: Mapping[str, Callable[[], VectorIndex]]
) -> list[Measured]:
    test = evalset.split("test")
    store = seed_store(evalset)
    found: list[Measured] = []
    for backend, make in factories.items():
        index = CountingIndex(make())
        index_set(evalset, store, embedder, index, IndexTextBuilder().mode)
        for ranking in RANKINGS:
            index.queries = index.returned = 0
            limits = replace(DEFAULTS, ranking=ranking)  # type: ignore[arg-type]  # RANKINGS holds plain strings
            outcome = evaluate(test, store, embedder, index, limits)
            searches = len(test.questions) + len(test.similar)
            found.append(
                Measured(
                    backend, ranking, outcome, index.queries / searches, index.returned / searches
                )
            )
    return found


def ablation(evalset: EvalSet, embedder: CachedEmbedder) -> list[tuple[str, Outcome]]:
    test = evalset.split("test")
    store = seed_store(evalset)
    indexes: dict[str, VectorIndex] = {}
    rows = []
    for label, neighbours, limits in ABLATION:
        if neighbours not in indexes:
            indexes[neighbours] = InMemoryVectorIndex()
            index_set(evalset, store, embedder, indexes[neighbours], neighbours)
        rows.append((label, evaluate(test, store, embedder, indexes[neighbours], limits)))
    return rows


def cost_notes(measured: list[Measured]) -> list[str]:
    """USD per million indexed messages and per million searches, and idle cost a month."""
    prices = {k: v["price"] for k, v in load_prices()["prices"].items()}
    read = prices["firestore_read_per_100k"] / 100_000
    write = prices["firestore_write_per_100k"] / 100_000
    notes = []
    for m in measured:
        if m.ranking != DEFAULTS.ranking or m.backend == "memory":
            continue
        if m.backend == "firestore":
            # One vector document written per message; a query bills a read per returned
            # document (and at least one), plus the index reads Firestore adds per query.
            per_search = max(m.returned_per_search, m.queries_per_search) * read
            notes.append(
                f"Cost, firestore ({m.ranking}): indexing 1M messages {1e6 * write:,.2f} USD "
                f"(1 document write each), 1M searches {1e6 * per_search:,.2f} USD "
                f"({m.queries_per_search:.2f} vector queries and {m.returned_per_search:.1f} "
                "documents returned per search, measured; billed as reads), idle 0 USD a month "
                "beyond storage."
            )
        elif m.backend == "chroma":
            notes.append(
                f"Cost, chroma ({m.ranking}): self-hosted, the price of the machine it runs on "
                f"({m.queries_per_search:.2f} queries and {m.returned_per_search:.1f} results "
                "per search, measured)."
            )
        elif m.backend == "vertex":
            node = prices.get("vector_search_node_hour_e2_standard_2")
            idle = (
                f"{node * MONTH_HOURS:,.0f} USD a month per replica" if node else "see prices.json"
            )
            notes.append(
                f"Cost, vertex ({m.ranking}): searches and streaming upserts are served by "
                f"deployed replicas billed by the hour whether used or not: idle {idle} "
                f"({m.queries_per_search:.2f} queries per search, measured)."
            )
    return notes


def run(bench: Bench | None, plan: Plan, data: Any = None) -> Section:
    evalset = load(data) if data is not None else load()
    if plan.quick:
        evalset = _shrunk(evalset)
    assert bench is not None
    embedder = CachedEmbedder(_embedder())
    if plan.quick:
        # The quick run proves the section end to end on two backends; the contract suite
        # covers the others.
        factories = _factories(bench, None)
        measured = measure(evalset, embedder, {k: factories[k] for k in ("memory", "vertex")})
    else:
        with _chroma_server() as chroma:
            measured = measure(evalset, embedder, _factories(bench, chroma))
    section = Section(
        "Retrieval quality (test split, local MiniLM through the Vertex emulator)",
        [
            "backend",
            "ranking",
            "questions",
            "R@1",
            "R@5",
            "R@10",
            "MRR",
            "nDCG@10",
            "leaks",
            "p50 ms",
            "p95 ms",
            "similar hit@1",
        ],
    )
    for m in measured:
        hit1 = "-" if m.outcome.similar_hit1 is None else f"{m.outcome.similar_hit1:.3f}"
        section.rows.append([m.backend, m.ranking, *m.outcome.scores.row(), hit1])
    section.data["measured"] = [
        {
            "backend": m.backend,
            "ranking": m.ranking,
            "mrr": m.outcome.scores.mrr,
            "recall": m.outcome.scores.recall,
            "leaks": m.outcome.scores.leaks,
            "similar_hit1": m.outcome.similar_hit1,
            "queries_per_search": m.queries_per_search,
        }
        for m in measured
    ]
    if not plan.quick:
        for label, outcome in ablation(evalset, embedder):
            s = outcome.scores
            section.notes.append(
                f"Ablation (memory, test): {label}: MRR {s.mrr:.3f}, R@1 {s.recall[1]:.3f}, "
                f"R@5 {s.recall[5]:.3f}, similar hit@1 {outcome.similar_hit1:.3f}"
            )
    best = max(measured, key=lambda m: m.outcome.scores.mrr)
    dense = next(m for m in measured if m.ranking == "dense" and m.backend == best.backend)
    hybrid = next(m for m in measured if m.ranking == "hybrid" and m.backend == best.backend)
    section.target("best mode: 1 - MRR (MRR >= 0.85)", round(1 - best.outcome.scores.mrr, 3), 0.15)
    section.target(
        "best mode: 1 - recall@5 (recall@5 >= 0.95)",
        round(1 - best.outcome.scores.recall[5], 3),
        0.05,
    )
    section.target(
        "dense MRR - hybrid MRR (hybrid ahead by >= 0.05)",
        round(dense.outcome.scores.mrr - hybrid.outcome.scores.mrr, 3),
        -0.05,
    )
    section.target(
        "results from another user or tenant (leaks)",
        sum(m.outcome.scores.leaks for m in measured),
        0,
    )
    section.notes += cost_notes(measured)
    section.notes.append(
        f"Best mode: {best.backend} {best.ranking}. Latency is MessageSearch.search with the "
        "query already embedded (the search section measures embedding time) and texts read back "
        "from an in-memory store: the backend's and the ranking's own time. Keyword and hybrid "
        "modes fuse up to 100 results per ranking (so pages stay stable), dense asks for 11."
    )
    return section


def _shrunk(evalset: EvalSet) -> EvalSet:
    """The quick plan: one user's test questions over their test themes' sessions and the
    decoy tenant's on the same themes, to prove the section end to end (numbers mean nothing)."""
    user = evalset.questions[0].user_id
    questions = [q for q in evalset.questions if q.split == "test" and q.user_id == user][:12]
    themes = {q.gold[0].split("-")[2] for q in questions}
    similar = [
        c
        for c in evalset.similar
        if c.split == "test" and c.user_id == user and c.session_id.split("-")[2] in themes
    ]
    kept = [
        s
        for s in evalset.sessions
        if (s.user_id == user or s.tenant_id != "eval") and s.session_id.split("-")[2] in themes
    ]
    return EvalSet(tuple(kept), tuple(questions), tuple(similar))
