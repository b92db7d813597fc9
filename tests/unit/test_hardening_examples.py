"""Issue 11: every reported hostile input, as a test of the functions' HTTP apps (in process,
over the in-memory fakes). Each answers a 4xx JSON error with a stable code, writes nothing and
never reaches the LLM. Inputs that only the real Firestore refuses are in
tests/integration/test_hardening_stack.py."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import functions_framework
import pytest
import yaml

from emulators.launcher import REPO_ROOT
from shared import bootstrap
from shared.domain import page_tokens
from tests.unit.session_fakes import Fakes, build

ALICE = {"Authorization": "Bearer dev:t1:alice", "Content-Type": "application/json"}
SPEC = yaml.safe_load(Path(REPO_ROOT / "infra/api/openapi.yaml").read_text())


@pytest.fixture
def fx() -> Iterator[Fakes]:
    fakes = build()
    bootstrap.use(fakes.services)
    yield fakes
    bootstrap.use(None)


def app(name: str) -> Any:
    return functions_framework.create_app(
        name, str(REPO_ROOT / f"functions/{name}/main.py")
    ).test_client()


@pytest.fixture
def clients(fx: Fakes) -> dict[str, Any]:
    return {name: app(name) for name in ("chat", "sessions", "search")}


def nested(depth: int) -> str:
    """A JSON object nested `depth` levels deep (the outermost counts)."""
    return '{"a":' * (depth - 1) + "{}" + "}" * (depth - 1)


def session_id(clients: dict[str, Any]) -> str:
    made = clients["sessions"].post("/v1/sessions", json={"title": "t"}, headers=ALICE)
    return made.get_json()["session_id"]


def call(clients: dict[str, Any], fn: str, method: str, path: str, body: bytes | str | None):
    return clients[fn].open(path, method=method, data=body, headers=ALICE)


def assert_error(response: Any, status: int, code: str | None = None) -> str:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    body = json.loads(response.get_data())
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]["message"]


def snapshot(fx: Fakes) -> Any:
    return (
        {k: v.model_dump() for k, v in fx.store.sessions.items()},
        sorted(fx.store.messages) if hasattr(fx.store, "messages") else None,
        len(fx.llm.calls),
    )


# Body-taking routes: (function, method, path template, body template with V for a value).
BODY_ROUTES = {
    "chat": ("chat", "POST", "/v1/chat", '{"message": "hi", "metadata": {"m": V}}'),
    "create": ("sessions", "POST", "/v1/sessions", '{"metadata": {"m": V}}'),
    "patch": ("sessions", "PATCH", "/v1/sessions/{sid}", '{"metadata": {"m": V}}'),
    "append": (
        "sessions",
        "POST",
        "/v1/sessions/{sid}/messages",
        '{"messages": [{"role": "user", "content": "x", "metadata": {"m": V}}]}',
    ),
}


def send(clients: dict[str, Any], route: str, value: str | bytes) -> Any:
    fn, method, path, template = BODY_ROUTES[route]
    sid = session_id(clients)
    if isinstance(value, str):
        value = value.encode()
    body = template.encode().replace(b"V", value)
    return call(clients, fn, method, path.format(sid=sid), body)


@pytest.mark.parametrize("route", list(BODY_ROUTES))
def test_metadata_nested_past_firestore_depth_is_400_and_reaches_no_llm(
    clients: dict[str, Any], fx: Fakes, route: str
) -> None:
    before = len(fx.llm.calls)
    # Firestore allows 20 levels of maps, counted with the enclosing metadata map: 40 is too deep.
    assert_error(send(clients, route, nested(40)), 400, "metadata_too_deep")
    assert len(fx.llm.calls) == before


@pytest.mark.parametrize("route", list(BODY_ROUTES))
def test_metadata_at_firestore_depth_is_stored(clients: dict[str, Any], route: str) -> None:
    # metadata (1) > "m" (2) > ... 20 levels in all: the deepest Firestore stores.
    response = send(clients, route, nested(19))
    assert response.status_code in (200, 201), response.get_data(as_text=True)[:300]


ALL_BODY_ROUTES = [
    ("chat", "POST", "/v1/chat"),
    ("sessions", "POST", "/v1/sessions"),
    ("sessions", "PATCH", "/v1/sessions/{sid}"),
    ("sessions", "POST", "/v1/sessions/{sid}/messages"),
    ("search", "POST", "/v1/search"),
]


@pytest.mark.parametrize(("fn", "method", "path"), ALL_BODY_ROUTES)
def test_json_nested_1000_deep_is_400_on_every_route(
    clients: dict[str, Any], fx: Fakes, fn: str, method: str, path: str
) -> None:
    sid = session_id(clients)
    before = snapshot(fx)
    response = call(clients, fn, method, path.format(sid=sid), '{"x":' * 1000 + "1" + "}" * 1000)
    assert_error(response, 400, "invalid_json")
    assert snapshot(fx) == before


APPEND_V = b'{"messages": [{"role": "user", "content": V}]}'
APPEND_X = '{"messages": [{"role": "user", "content": "x"}]}'
LONE_SURROGATES = [b'"\\ud800"', b'"\xed\xa0\x80"', b'"a\\udfffb"']


@pytest.mark.parametrize("raw", LONE_SURROGATES, ids=["escaped", "raw-bytes", "low"])
@pytest.mark.parametrize(
    ("fn", "method", "path", "template"),
    [
        ("chat", "POST", "/v1/chat", b'{"message": V}'),
        ("sessions", "POST", "/v1/sessions", b'{"title": V}'),
        ("sessions", "PATCH", "/v1/sessions/{sid}", b'{"title": V}'),
        ("sessions", "POST", "/v1/sessions/{sid}/messages", APPEND_V),
        ("sessions", "POST", "/v1/sessions", b'{"metadata": {V: 1}}'),
        ("search", "POST", "/v1/search", b'{"query": V}'),
    ],
)
def test_lone_surrogates_are_400_invalid_unicode(
    clients: dict[str, Any], fx: Fakes, raw: bytes, fn: str, method: str, path: str, template: bytes
) -> None:
    sid = session_id(clients)
    before = snapshot(fx)
    response = call(clients, fn, method, path.format(sid=sid), template.replace(b"V", raw))
    assert_error(response, 400, "invalid_unicode")
    assert snapshot(fx) == before


@pytest.mark.parametrize("route", list(BODY_ROUTES))
@pytest.mark.parametrize("number", ["1e400", "-1e400", "1E999"])
def test_numbers_beyond_a_double_are_400_and_nothing_is_stored(
    clients: dict[str, Any], fx: Fakes, route: str, number: str
) -> None:
    response = send(clients, route, number)
    assert_error(response, 400, "invalid_number")
    listed = clients["sessions"].get("/v1/sessions", headers=ALICE)
    assert "Infinity" not in listed.get_data(as_text=True)
    json.loads(listed.get_data(), parse_constant=lambda c: pytest.fail(f"{c} served"))


def token(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


FORGED: dict[str, dict[str, Any]] = {
    "edge-of-calendar": {"k": "sessions:", "t": "0001-01-01T00:00:00+14:00", "id": "x"},
    "lone-surrogate-id": {"k": "sessions:", "t": "2026-01-01T00:00:00+00:00", "id": "\ud800"},
    "huge-seq": {"k": "messages:asc", "seq": 2**70},
    "negative-seq": {"k": "messages:asc", "seq": -5},
    "float-seq": {"k": "messages:asc", "seq": 1.5},
}


@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed-with-a-leaked-key"])
@pytest.mark.parametrize("name", list(FORGED))
def test_forged_page_tokens_are_400_invalid_page_token(
    clients: dict[str, Any], name: str, signed: bool
) -> None:
    """Unsigned, a token fails its MAC; signed with the deployment's key (as if it leaked),
    its values still fail their field checks."""
    sid = session_id(clients)
    cursor = dict(FORGED[name])
    forged = page_tokens.encode(cursor.pop("k"), cursor) if signed else token(FORGED[name])
    for path in ("/v1/sessions", f"/v1/sessions/{sid}/messages"):
        response = clients["sessions"].get(f"{path}?page_token={forged}", headers=ALICE)
        assert_error(response, 400, "invalid_page_token")


def test_page_tokens_are_versioned_and_authenticated(clients: dict[str, Any]) -> None:
    for _ in range(3):
        session_id(clients)
    first = clients["sessions"].get("/v1/sessions?page_size=1", headers=ALICE).get_json()
    issued = first["next_page_token"]
    version, payload, mac = issued.split(".")
    assert version == "1" and payload and mac
    ok = clients["sessions"].get(f"/v1/sessions?page_size=1&page_token={issued}", headers=ALICE)
    assert ok.status_code == 200
    flipped = "A" if payload[0] != "A" else "B"
    for tampered in (f"2.{payload}.{mac}", f"1.{flipped}{payload[1:]}.{mac}", f"1.{payload}.x"):
        response = clients["sessions"].get(f"/v1/sessions?page_token={tampered}", headers=ALICE)
        assert_error(response, 400, "invalid_page_token")


@pytest.mark.parametrize(
    ("fn", "method", "path", "body"),
    [
        ("search", "GET", "/v1/analytics?since=9999-12-31T23:59:59-14:00", None),
        ("search", "GET", "/v1/analytics?until=0001-01-01T00:00:00%2B14:00", None),
        ("search", "POST", "/v1/search", '{"query": "x", "since": "9999-12-31T23:59:59-14:00"}'),
        ("search", "POST", "/v1/search", '{"query": "x", "until": "9999-12-31T23:59:59+00:00"}'),
        ("search", "POST", "/v1/search", '{"query": "x", "since": "0001-01-01T00:00:00+14:00"}'),
    ],
)
def test_extreme_times_are_400_invalid_time(
    clients: dict[str, Any], fn: str, method: str, path: str, body: str | None
) -> None:
    assert_error(call(clients, fn, method, path, body), 400, "invalid_time")


IMPOSSIBLE_IDS = [
    pytest.param("a%2Fb", id="slash"),
    pytest.param("..", id="dotdot"),
    pytest.param(".", id="dot"),
    pytest.param("__x__", id="reserved"),
    pytest.param("x" * 1600, id="long"),
    pytest.param("%ED%A0%80", id="surrogate"),
]


@pytest.mark.parametrize("sid", IMPOSSIBLE_IDS)
@pytest.mark.parametrize(
    ("fn", "method", "path", "body"),
    [
        ("sessions", "GET", "/v1/sessions/{sid}", None),
        ("sessions", "PATCH", "/v1/sessions/{sid}", '{"title": "x"}'),
        ("sessions", "DELETE", "/v1/sessions/{sid}", None),
        ("sessions", "GET", "/v1/sessions/{sid}/messages", None),
        ("sessions", "POST", "/v1/sessions/{sid}/messages", APPEND_X),
        ("search", "GET", "/v1/sessions/{sid}/similar", None),
    ],
)
def test_impossible_session_ids_in_paths_are_404_session_not_found(
    clients: dict[str, Any], sid: str, fn: str, method: str, path: str, body: str | None
) -> None:
    response = call(clients, fn, method, path.format(sid=sid), body)
    message = assert_error(response, 404, "session_not_found")
    assert "tenants/" not in message and "projects/" not in message


@pytest.mark.parametrize("sid", ["a/b", "..", "__x__", "x" * 1600, ""])
@pytest.mark.parametrize(
    ("fn", "path", "field"), [("chat", "/v1/chat", "message"), ("search", "/v1/search", "query")]
)
def test_impossible_session_ids_in_bodies_are_404_session_not_found(
    clients: dict[str, Any], fx: Fakes, sid: str, fn: str, path: str, field: str
) -> None:
    body = json.dumps({field: "hello", "session_id": sid})
    assert_error(call(clients, fn, "POST", path, body), 404, "session_not_found")
    assert fx.llm.calls == []


def test_idempotency_key_limit_is_the_documented_one(clients: dict[str, Any]) -> None:
    schema = SPEC["components"]["parameters"]["IdempotencyKey"]["schema"]
    longest = "k" * schema["maxLength"]
    ok = clients["chat"].post(
        "/v1/chat", json={"message": "hi"}, headers={**ALICE, "Idempotency-Key": longest}
    )
    assert ok.status_code == 201, ok.get_data(as_text=True)
    too_long = clients["chat"].post(
        "/v1/chat", json={"message": "hi"}, headers={**ALICE, "Idempotency-Key": longest + "k"}
    )
    assert_error(too_long, 400, "invalid_idempotency_key")


def test_openapi_states_what_the_server_refuses() -> None:
    schemas = SPEC["components"]["schemas"]
    key = SPEC["components"]["parameters"]["IdempotencyKey"]["schema"]
    assert key.get("pattern"), "Idempotency-Key: printable ASCII only"
    assert schemas["UpdateSessionRequest"].get("minProperties") == 1, "an empty PATCH is 400"
    metadata = schemas["Metadata"]
    assert metadata.get("x-hs-property-names", {}).get("minLength") == 1, "empty metadata keys"
    stream = schemas["EventStream"]
    assert stream.get("x-sse-events"), "the SSE events are described, not a plain string"


def test_server_errors_never_carry_exception_text(clients: dict[str, Any], fx: Fakes) -> None:
    from shared.domain.errors import Unavailable

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise Unavailable(
            "Firestore unavailable: 503 projects/p/databases/(default)/documents/tenants/t1",
            code="storage_unavailable",
        )

    fx.store.list_sessions = broken  # type: ignore[method-assign]  # the test swaps one method of its fake
    response = clients["sessions"].get("/v1/sessions", headers=ALICE)
    message = assert_error(response, 503, "storage_unavailable")
    assert "projects/" not in message and "tenants/" not in message and "503" not in message
