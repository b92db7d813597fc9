"""The routing table read from infra/api/openapi.yaml, and the gateway app in-process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from werkzeug.test import Client

from emulators.gateway.proxy import Gateway
from emulators.gateway.routes import DEFAULT_DEADLINE_S, Match, WrongMethod, from_spec, load
from tests.conformance.gateway.fake_function import FakeFunction

# Every route of issues 3 and 5, and the function that serves it.
PUBLIC_API = [
    ("POST", "/v1/chat", "chat"),
    ("POST", "/v1/sessions", "sessions"),
    ("GET", "/v1/sessions", "sessions"),
    ("GET", "/v1/sessions/s1", "sessions"),
    ("PATCH", "/v1/sessions/s1", "sessions"),
    ("DELETE", "/v1/sessions/s1", "sessions"),
    ("GET", "/v1/sessions/s1/messages", "sessions"),
    ("POST", "/v1/sessions/s1/messages", "sessions"),
    ("DELETE", "/v1/users/me", "sessions"),
    ("POST", "/v1/search", "search"),
    ("GET", "/v1/sessions/s1/similar", "search"),
    ("GET", "/v1/analytics", "search"),
    ("GET", "/v1/status", "search"),
]


@pytest.mark.parametrize(("method", "path", "function"), PUBLIC_API)
def test_every_public_route_has_its_function(method: str, path: str, function: str) -> None:
    resolved = load().resolve(method, path)

    assert isinstance(resolved, Match)
    assert resolved.function == function


def test_the_spec_has_no_route_beyond_the_public_api() -> None:
    table = load()
    operations = {(m, r.template) for r in table.routes for m in r.functions}

    assert len(operations) == len(PUBLIC_API)


def test_literal_paths_win_over_templates() -> None:
    spec = {
        "paths": {
            "/v1/users/{user_id}": {"get": {"x-hs-function": "a"}},
            "/v1/users/me": {"get": {"x-hs-function": "b"}},
        }
    }
    table = from_spec(spec)

    me, other = table.resolve("GET", "/v1/users/me"), table.resolve("GET", "/v1/users/u1")
    assert isinstance(me, Match) and me.function == "b"
    assert isinstance(other, Match) and other.function == "a"


def test_known_path_with_another_method_is_a_wrong_method() -> None:
    resolved = load().resolve("PUT", "/v1/sessions/s1")

    assert isinstance(resolved, WrongMethod)
    assert resolved.allow == ["DELETE", "GET", "PATCH"]


@pytest.mark.parametrize("path", ["/v1/sessions/", "/v1/sessions//messages", "/v1", "/v1/chat/x"])
def test_near_misses_are_unknown(path: str) -> None:
    assert load().resolve("GET", path) is None


def test_chat_gets_a_longer_deadline_than_the_default() -> None:
    table = load()

    assert table.deadline("chat") >= 120
    assert table.deadline("search") > DEFAULT_DEADLINE_S
    assert table.deadline("unknown") == DEFAULT_DEADLINE_S


def test_backend_and_function_must_agree() -> None:
    spec = {"paths": {"/x": {"get": {"x-hs-function": "a", "x-google-backend": "b"}}}}

    with pytest.raises(ValueError, match="disagree"):
        from_spec(spec)


def test_an_operation_without_a_function_is_refused() -> None:
    with pytest.raises(ValueError, match="x-hs-function"):
        from_spec({"paths": {"/x": {"get": {}}}})


@pytest.fixture
def sessions() -> Iterator[FakeFunction]:
    with FakeFunction("sessions") as fake:
        yield fake


def test_slow_function_is_504_at_its_deadline(sessions: FakeFunction) -> None:
    table = load()
    table.deadlines["sessions"] = 0.3
    client = Client(Gateway(table, {"sessions": sessions.url}))

    answer = client.get("/v1/sessions/slow")

    assert answer.status_code == 504
    assert answer.json == {
        "error": {
            "code": "deadline_exceeded",
            "message": "function 'sessions' did not answer within 0.3s",
        }
    }


def test_oversized_body_is_413_and_not_forwarded(sessions: FakeFunction) -> None:
    client = Client(Gateway(load(), {"sessions": sessions.url}, max_body_bytes=1000))

    answer = client.post("/v1/sessions", data=b"x" * 1001)

    assert answer.status_code == 413
    assert answer.json is not None and answer.json["error"]["code"] == "payload_too_large"
    assert sessions.seen == []


def test_function_without_backend_is_503() -> None:
    client = Client(Gateway(load(), {}))

    answer = client.post("/v1/chat", json={"message": "hi"})

    assert answer.status_code == 503
    assert answer.json is not None and answer.json["error"]["code"] == "unavailable"
