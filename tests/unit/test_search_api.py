"""The search function's HTTP surface (functions-framework app, no sockets) over fakes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import functions_framework
import pytest

from emulators.launcher import REPO_ROOT
from shared import bootstrap
from shared.bootstrap import Services
from shared.config import Settings
from shared.ports.analytics_reader import AnalyticsData, Totals
from tests.unit.test_analytics_service import StubReader
from tests.unit.test_search_service import ALICE, World, world

AUTH = {"Authorization": "Bearer dev:t1:alice"}


def app(w: World, reader: StubReader, *, configured: bool = True) -> Any:
    vector_ports = {"embedder": w.embedder, "vectors": w.vectors} if configured else {}
    services = Services(
        Settings(auth_mode="dev", status_cache_s=0),
        store=w.store,
        analytics_reader=reader,
        **vector_ports,  # type: ignore[arg-type]  # the vector ports of this test, passed by name
    )
    bootstrap.use(services)
    return functions_framework.create_app(
        "search", str(REPO_ROOT / "functions/search/main.py")
    ).test_client()


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    yield
    bootstrap.use(None)


def code(response: Any) -> str:
    return response.get_json()["error"]["code"]


def test_search_answers_the_documented_shape() -> None:
    w = world()
    sid = w.converse(ALICE, ["paris flight booked", "have a nice trip"])
    client = app(w, StubReader())

    body = client.post("/v1/search", json={"query": "paris flight", "limit": 1}, headers=AUTH)

    assert body.status_code == 200
    answer = body.get_json()
    assert set(answer) == {"results", "degraded", "reason", "next_page_token"}
    hit = answer["results"][0]
    assert set(hit) == {
        "message_id", "session_id", "role", "content", "snippet", "created_at", "score",
    }  # fmt: skip
    assert hit["session_id"] == sid and hit["created_at"].endswith("Z")
    assert answer["degraded"] is False and answer["next_page_token"]


def test_search_errors() -> None:
    client = app(world(), StubReader())
    assert client.post("/v1/search", json={"query": "x"}).status_code == 401
    assert code(client.post("/v1/search", json={"query": " "}, headers=AUTH)) == "empty_query"
    assert code(client.post("/v1/search", json={"query": 3}, headers=AUTH)) == "invalid_argument"
    assert (
        code(client.post("/v1/search", json={"query": "x", "q": 1}, headers=AUTH))
        == "unknown_field"
    )
    missing = client.post("/v1/search", json={"query": "x", "session_id": "nope"}, headers=AUTH)
    assert missing.status_code == 404
    bad = client.post("/v1/search", json={"query": "x", "page_token": "zz"}, headers=AUTH)
    assert code(bad) == "invalid_page_token"


def test_not_configured_search_is_degraded_and_similar_is_503() -> None:
    w = world()
    sid = w.converse(ALICE, ["paris flight"], index=False)
    client = app(w, StubReader(), configured=False)

    answer = client.post("/v1/search", json={"query": "paris"}, headers=AUTH).get_json()
    assert answer["degraded"] is True and answer["reason"] == "vector_search_not_configured"
    assert answer["results"][0]["content"] == "paris flight"

    similar = client.get(f"/v1/sessions/{sid}/similar", headers=AUTH)
    assert similar.status_code == 503 and code(similar) == "similar_unavailable"
    assert int(similar.headers["Retry-After"]) > 0


def test_similar_limit_is_validated() -> None:
    w = world()
    sid = w.converse(ALICE, ["paris"])
    client = app(w, StubReader())
    assert client.get(f"/v1/sessions/{sid}/similar?limit=0", headers=AUTH).status_code == 400
    assert client.get(f"/v1/sessions/{sid}/similar?limit=x", headers=AUTH).status_code == 400
    ok = client.get(f"/v1/sessions/{sid}/similar?limit=3", headers=AUTH)
    assert ok.status_code == 200 and ok.get_json() == {"sessions": []}


def test_analytics_http_errors_and_answer() -> None:
    reader = StubReader(AnalyticsData(totals=Totals(messages=2, sessions=1, users=1)))
    client = app(world(), reader)

    ok = client.get("/v1/analytics?granularity=week", headers=AUTH)
    assert ok.status_code == 200 and ok.get_json()["totals"]["messages"] == 2
    assert client.get("/v1/analytics?granularity=fortnight", headers=AUTH).status_code == 400
    assert code(client.get("/v1/analytics?since=soon", headers=AUTH)) == "invalid_time"
    denied = client.get("/v1/analytics?scope=tenant", headers=AUTH)
    assert denied.status_code == 403 and code(denied) == "admin_required"
    admin = {"Authorization": "Bearer dev:t1:root:admin"}
    assert client.get("/v1/analytics?scope=tenant", headers=admin).status_code == 200

    reader.down = True
    down = client.get("/v1/analytics", headers=AUTH)
    assert down.status_code == 503 and code(down) == "analytics_unavailable"
    assert int(down.headers["Retry-After"]) >= 1


def test_status_reports_each_feature() -> None:
    w = world()
    reader = StubReader()
    client = app(w, reader)
    assert client.get("/v1/status").status_code == 401

    live = client.get("/v1/status", headers=AUTH).get_json()["features"]
    assert {name: f["state"] for name, f in live.items()} == {
        "chat": "live", "sessions": "live", "search": "live", "similar": "live",
        "analytics": "live",
    }  # fmt: skip

    w.vectors.down, reader.down = True, True
    down = client.get("/v1/status", headers=AUTH).get_json()["features"]
    assert down["search"] == {"state": "degraded", "reason": "vector_search_unavailable"}
    assert down["similar"]["state"] == "off"
    assert down["analytics"] == {"state": "off", "reason": "analytics_unavailable"}
    assert down["chat"] == {"state": "live"}

    off = app(world(), StubReader(), configured=False)
    features = off.get("/v1/status", headers=AUTH).get_json()["features"]
    assert features["search"] == {"state": "degraded", "reason": "vector_search_not_configured"}


def test_status_checks_are_cached() -> None:
    w = world()
    services = Services(
        Settings(auth_mode="dev", status_cache_s=60),
        store=w.store,
        embedder=w.embedder,
        vectors=w.vectors,
        analytics_reader=StubReader(),
    )
    status = services.feature_status
    status.features()
    status.features()
    assert w.vectors.queries == 1


def test_cold_start_and_routes_import_no_google_client() -> None:
    """main.py loads nothing heavy; the routes module neither: each client loads with the
    first request that needs it."""
    import subprocess
    import sys

    probe = (
        "import importlib.util, sys\n"
        "spec = importlib.util.spec_from_file_location('m', 'functions/search/main.py')\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "import shared.api.search\n"
        "heavy = ('google.cloud.firestore', 'google.genai', 'google.cloud.bigquery',\n"
        "         'google.cloud.aiplatform')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
