"""How big and how often: the full run's sizes (`make bench`) and the quick run's (CI).

The quick plan only proves the harness runs end to end; its numbers mean nothing. The full plan
is budgeted to finish in under 10 minutes on a 2-core machine (the README lists each section's
share of it).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    quick: bool
    cold_start_repeats: int
    turn_small: int
    turn_large: int
    turn_warmup: int
    turn_pairs: int
    http_pairs: int
    peer_sizes: tuple[int, ...]
    peer_turns: int
    lookup_messages: int
    lookup_sessions: int
    lookup_repeats: int
    ingest_messages: int
    backfill_messages: int
    search_vectors: int
    search_user_vectors: int
    search_queries: int
    embed_texts: int
    idle_quiet_s: float
    """How long the ingest pipeline must be still before an ingest measurement starts."""


FULL = Plan(
    quick=False,
    cold_start_repeats=5,
    turn_small=10,
    turn_large=10_000,
    turn_warmup=5,
    turn_pairs=30,
    http_pairs=15,
    peer_sizes=(10, 1_000, 5_000),
    peer_turns=8,
    lookup_messages=10_000,
    lookup_sessions=1_000,
    lookup_repeats=15,
    ingest_messages=150,
    backfill_messages=400,
    search_vectors=100_000,
    search_user_vectors=10_000,
    search_queries=60,
    embed_texts=64,
    idle_quiet_s=2.0,
)

QUICK = Plan(
    quick=True,
    cold_start_repeats=1,
    turn_small=10,
    turn_large=100,
    turn_warmup=1,
    turn_pairs=2,
    http_pairs=1,
    peer_sizes=(10,),
    peer_turns=1,
    lookup_messages=100,
    lookup_sessions=12,
    lookup_repeats=1,
    ingest_messages=3,
    backfill_messages=20,
    search_vectors=300,
    search_user_vectors=100,
    search_queries=3,
    embed_texts=2,
    idle_quiet_s=0.5,
)
