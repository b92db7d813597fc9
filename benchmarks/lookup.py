"""Lookup: a page of 50 messages from a 10,000-message session and a page of 50 sessions of a
user with 1,000, first pages and deep pages (reached through page_token), in process
(`SessionService` on the Firestore adapter) and through HTTP (gateway -> sessions function).

Deep-page tokens are obtained the way a client would: by paging (with the largest page size)
until deep into the list. A reference row times the same page on a small session or user, so
"does it grow with size" is a same-run ratio. All cases run interleaved, once per round.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from benchmarks.harness import TENANT, Bench, unique
from benchmarks.plan import Plan
from benchmarks.report import Section
from benchmarks.stats import Summary, ratio

PAGE = 50
# The reference user has just over one page, so both pages compared hold PAGE sessions.
FEW_SESSIONS = PAGE + 10


def seed_user_sessions(bench: Bench, user: str, count: int) -> None:
    """`count` sessions written straight through the store (no events: nothing to ingest)."""
    from shared.services.session_service import new_session

    caller = bench.caller(user)
    store = bench.services.store
    start = datetime.now(UTC) - timedelta(seconds=count)
    for i in range(count):
        store.create_session(new_session(caller, start + timedelta(seconds=i), f"s{i}", {}))


def _deep_token(fetch: Callable[[int, str | None], Any], depth: int) -> str | None:
    """Page with big pages until `depth` items have gone by; the token of what follows."""
    token: str | None = None
    seen = 0
    while seen < depth:
        page = fetch(min(1000, depth - seen), token)
        seen += len(page.items)
        token = page.next_page_token
        if token is None:
            raise RuntimeError(f"the list ended after {seen} items, before {depth}")
    return token


def run(bench: Bench, plan: Plan) -> Section:
    service = bench.services.sessions
    caller = bench.caller()
    big = bench.session_of(plan.lookup_messages)
    small = bench.session_of(plan.turn_small)
    many_user, few_user = unique("many"), unique("few")
    seed_user_sessions(bench, many_user, plan.lookup_sessions)
    seed_user_sessions(bench, few_user, FEW_SESSIONS)
    many, few = bench.caller(many_user), bench.caller(few_user)

    def messages(session_id: str, order: str) -> Callable[[int, str | None], Any]:
        return lambda size, token: service.list_messages(
            caller, session_id, order=order, page_size=size, page_token=token
        )

    def sessions(who: Any) -> Callable[[int, str | None], Any]:
        return lambda size, token: service.list(who, status=None, page_size=size, page_token=token)

    deep_messages = plan.lookup_messages // 2
    deep_sessions = plan.lookup_sessions // 2
    # (label, in-process fetch, HTTP path and query, page token)
    cases: list[tuple[str, Callable[[int, str | None], Any], str, str | None]] = []
    for order in ("asc", "desc"):
        fetch = messages(big, order)
        path = f"/v1/sessions/{big}/messages?order={order}"
        cases.append((f"messages {order}, first page", fetch, path, None))
        token = _deep_token(fetch, deep_messages)
        cases.append((f"messages {order}, page at {deep_messages:,}", fetch, path, token))
    cases.append(
        (
            "messages asc, first page of a small session (reference)",
            messages(small, "asc"),
            f"/v1/sessions/{small}/messages?order=asc",
            None,
        )
    )
    fetch = sessions(many)
    first = f"sessions, first page of {plan.lookup_sessions:,}"
    cases.append((first, fetch, "/v1/sessions?", None))
    token = _deep_token(fetch, deep_sessions)
    cases.append((f"sessions, page at {deep_sessions:,}", fetch, "/v1/sessions?", token))
    reference = f"sessions, first page of {FEW_SESSIONS} (reference)"
    cases.append((reference, sessions(few), "/v1/sessions?", None))
    users = {first: many_user, cases[-2][0]: many_user, reference: few_user}

    samples: dict[tuple[str, str], list[float]] = {}
    reads: dict[str, int] = {}
    gateway = bench.url("gateway")
    with requests.Session() as client:
        for _ in range(plan.lookup_repeats + 1):  # the first round warms up and is dropped
            for label, fetch, path, token in cases:
                before = bench.grpc.snapshot()
                start = time.perf_counter()
                page = fetch(PAGE, token)
                elapsed = time.perf_counter() - start
                reads[label] = bench.grpc.since(before)[1]["reads"]
                if not page.items:
                    raise RuntimeError(f"{label}: empty page")
                samples.setdefault(("in process", label), []).append(elapsed * 1000)
                user = users.get(label, "u1")
                query = f"{path}&page_size={PAGE}" + (f"&page_token={token}" if token else "")
                start = time.perf_counter()
                response = client.get(
                    f"{gateway}{query}",
                    headers={"Authorization": f"Bearer dev:{TENANT}:{user}"},
                    timeout=60,
                )
                elapsed = time.perf_counter() - start
                response.raise_for_status()
                samples.setdefault(("HTTP via gateway", label), []).append(elapsed * 1000)

    section = Section(
        "Lookup (a page of 50)",
        ["path", "case", "median ms", "IQR ms", "p95 ms", "n", "Firestore reads"],
    )
    summaries = {key: Summary.of(values[1:] or values, "ms") for key, values in samples.items()}
    for (path, label), summary in summaries.items():
        section.rows.append(
            [
                path,
                label,
                summary.median,
                f"{summary.p25:.1f}..{summary.p75:.1f}",
                summary.p95,
                summary.n,
                reads[label] if path == "in process" else "-",
            ]
        )
        section.data[f"{path}: {label}"] = summary.as_dict()
    for path in ("in process", "HTTP via gateway"):
        deep_m = summaries[(path, f"messages asc, page at {deep_messages:,}")]
        ref_m = summaries[(path, "messages asc, first page of a small session (reference)")]
        section.data[f"{path}: deep message page / small session's first page"] = ratio(
            deep_m, ref_m
        )
        deep_s = summaries[(path, f"sessions, page at {deep_sessions:,}")]
        ref_s = summaries[(path, reference)]
        section.data[f"{path}: deep session page / reference user's first page"] = ratio(
            deep_s, ref_s
        )
        section.notes.append(
            f"{path}: deep message page / small session's first page = "
            f"{ratio(deep_m, ref_m):.2f}x; deep session page / a {FEW_SESSIONS}-session user's "
            f"first page = {ratio(deep_s, ref_s):.2f}x."
        )
    section.notes += [
        f"The message session holds {plan.lookup_messages:,}+ messages (seeded through the "
        f"store, plus the turns of the turn benchmark); the user has {plan.lookup_sessions:,} "
        "sessions. Pages use Firestore cursors (start_after), never offsets.",
        "Firestore reads: documents billed for one in-process page, counted on the wire (a page "
        "of messages also reads the session, to check ownership; every page reads one item "
        "past its end to know whether another page follows).",
        "The first round of every case is a warm-up and is dropped; cases run interleaved. "
        "No target is set for pages by the issues; the ratios show whether depth costs.",
    ]
    return section
