"""Where the smoke suite points: a deployment (HS_SMOKE_API_URL and two callers' tokens, set by
`python -m tests.smoke --outputs ...`) or, without them, the local stack of the `stack` fixture
with two dev users of a tenant of their own."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from hybrid_sessions import HybridSessionsClient
from tests.conftest import unique_id

# Ingest, BigQuery and the vector index are asynchronous: how long a smoke run waits for a
# message to become searchable and counted before it calls that a regression.
EVENTUAL_S = float(os.environ.get("HS_SMOKE_EVENTUAL_S", "120"))


@dataclass(frozen=True)
class Target:
    """The gateway and two callers of one tenant: `user` does the turn, `other` must see none
    of it."""

    url: str
    user: HybridSessionsClient
    other: HybridSessionsClient
    deployed: bool


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    url = os.environ.get("HS_SMOKE_API_URL")
    if url:
        user, other = os.environ["HS_SMOKE_TOKEN"], os.environ["HS_SMOKE_OTHER_TOKEN"]
        yield Target(url, HybridSessionsClient(url, user), HybridSessionsClient(url, other), True)
        return
    stack = request.getfixturevalue("stack")
    missing = [c for c in ("chat", "sessions", "search", "gateway") if not stack.has(c)]
    if missing:
        pytest.skip(f"local stack incomplete ({missing}): {stack.skipped}")
    url, tenant = stack.url("gateway"), unique_id("smoke-")
    yield Target(
        url,
        HybridSessionsClient(url, f"dev:{tenant}:user"),
        HybridSessionsClient(url, f"dev:{tenant}:other"),
        False,
    )
