"""infra/api/openapi.yaml is valid, and the running functions answer as it says.

The first tests check the document itself (OpenAPI 3.0 validity, the API Gateway extensions,
the Terraform placeholders). The others drive every route through the local stack's gateway,
including the errors a client can cause, and check each answer against the document: the status
must be one the operation declares (not just `default`), the content type one it lists, the body
valid against its schema, a 204 empty. Routes whose function is not in the tree yet are skipped,
with the reason.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
import requests
import yaml
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate as validate_spec
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from emulators.gateway.routes import HTTP_METHODS, SPEC_PATH, Match, from_spec
from emulators.launcher import REPO_ROOT
from hybrid_sessions.sse import parse_sse

PLACEHOLDERS = {"${chat_url}", "${sessions_url}", "${search_url}"}


@cache
def spec() -> dict[str, Any]:
    with open(SPEC_PATH, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for template, item in spec()["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield method.upper(), template, item[method]


# --- the document ---------------------------------------------------------------------------


def test_document_is_valid_openapi_3_0() -> None:
    assert spec()["openapi"].startswith("3.0.")
    try:
        validate_spec(spec())
    except OpenAPIValidationError as exc:  # pragma: no cover - the message is the point
        pytest.fail(f"infra/api/openapi.yaml is not valid OpenAPI: {exc}")


def test_only_the_backend_placeholders_look_like_terraform_templates() -> None:
    text = SPEC_PATH.read_text(encoding="utf-8")

    assert set(re.findall(r"\$\{[^}]*\}", text)) == PLACEHOLDERS
    assert "%{" not in text


def test_every_operation_has_a_backend_and_the_error_shape() -> None:
    backends = spec()["x-google-api-management"]["backends"]
    for name, backend in backends.items():
        assert backend["address"] == backend["jwtAudience"] == f"${{{name}_url}}"
        assert backend["pathTranslation"] == "APPEND_PATH_TO_ADDRESS"
        assert backend["deadline"] > 15
    for method, template, operation in operations():
        where = f"{method} {template}"
        assert operation["x-google-backend"] in backends, where
        assert operation["x-hs-function"] == operation["x-google-backend"], where
        assert operation.get("operationId"), where
        errors = [s for s in operation["responses"] if s == "default" or s.startswith("4")]
        assert "default" in errors and len(errors) > 1, where
        for status in errors:
            schema = _resolve(operation["responses"][status])["content"]["application/json"]
            assert schema["schema"] == _resolve({"$ref": "#/components/schemas/Error"}), where


def test_security_is_the_same_on_every_operation() -> None:
    schemes = spec()["components"]["securitySchemes"]

    bearer = {n for n, s in schemes.items() if s["type"] == "http" and s["scheme"] == "bearer"}
    assert bearer == {"firebaseIdToken", "apiKey"}
    assert schemes["apiKeyHeader"] == {
        **schemes["apiKeyHeader"],
        "in": "header",
        "name": "X-API-Key",
    }
    assert spec()["security"] == [{name: []} for name in schemes]
    assert all("security" not in op for _, _, op in operations())


# --- the running functions ------------------------------------------------------------------


def _has_function(name: str) -> bool:
    return (REPO_ROOT / "functions" / name / "main.py").exists()


def needs(function: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(
        not _has_function(function),
        reason=f"functions/{function} is not in the tree yet",
    )


@pytest.fixture(scope="module")
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    try:
        stack = request.getfixturevalue("stack")
    except pytest.FixtureLookupError:
        pytest.skip("no `stack` fixture (emulators/stack.py) in this tree yet")
    user = f"contract-{uuid.uuid4().hex[:8]}"
    yield Api(stack.url("gateway"), f"dev:contract:{user}")


class Api:
    """Calls through the gateway and checks each answer against the document."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.token = token
        self.http = requests.Session()

    def call(
        self,
        method: str,
        path: str,
        *,
        expect: int | tuple[int, ...],
        auth: bool = True,
        **kwargs: Any,
    ) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if auth:
            headers["Authorization"] = f"Bearer {self.token}"
        response = self.http.request(
            method, self.base_url + path, headers=headers, timeout=60, **kwargs
        )
        expected = (expect,) if isinstance(expect, int) else expect
        assert response.status_code in expected, (
            f"{method} {path}: {response.status_code} {response.text[:500]}"
        )
        conform(method, path, response)
        return response


def conform(method: str, path: str, response: requests.Response) -> None:
    """`response` is one the document declares for `method path`."""
    table = from_spec(spec())
    match = table.resolve(method, path.split("?", 1)[0])
    assert isinstance(match, Match), f"{method} {path} is not an operation of the document"
    operation = spec()["paths"][match.route.template][method.lower()]
    where = f"{method} {match.route.template} -> {response.status_code}"
    declared = operation["responses"].get(str(response.status_code))
    assert declared is not None, f"{where}: status not declared"
    declared = _resolve(declared)
    content = declared.get("content") or {}
    if not content:
        assert response.content == b"", f"{where}: declared without a body, got one"
        return
    media = response.headers.get("Content-Type", "").split(";")[0].strip()
    assert media in content, f"{where}: content type {media!r} not among {sorted(content)}"
    if media == "application/json":
        check_schema(content[media]["schema"], response.json(), where)


def check_schema(schema: dict[str, Any], instance: Any, where: str) -> None:
    validator = OAS30Validator(_resolve(schema), format_checker=OAS30Validator.FORMAT_CHECKER)
    problems = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(instance)
    ]
    assert not problems, f"{where}: body does not match the schema: {problems}"


def _resolve(node: Any) -> Any:
    """The node with every local `$ref` replaced by its target (the document has no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = spec()
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return _resolve(target)
        return {k: _resolve(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v) for v in node]
    return node


def schema_of(name: str) -> dict[str, Any]:
    return spec()["components"]["schemas"][name]


# sessions ----------------------------------------------------------------------------------


@needs("sessions")
def test_sessions_routes_conform(api: Api) -> None:
    created = api.call("POST", "/v1/sessions", json={"title": "Contract"}, expect=201).json()
    sid = created["session_id"]
    api.call("POST", "/v1/sessions", expect=201)  # no body at all
    api.call("GET", "/v1/sessions", expect=200)
    api.call("GET", "/v1/sessions?status=active&page_size=1", expect=200)
    api.call("GET", f"/v1/sessions/{sid}", expect=200)
    api.call("PATCH", f"/v1/sessions/{sid}", json={"title": None}, expect=200)
    appended = api.call(
        "POST",
        f"/v1/sessions/{sid}/messages",
        json={
            "messages": [
                {"role": "user", "content": "What are tides?"},
                {"role": "assistant", "content": "The sea rising and falling.", "metadata": {}},
            ]
        },
        headers={"Idempotency-Key": uuid.uuid4().hex},
        expect=201,
    ).json()
    assert [m["seq"] for m in appended["messages"]] == [0, 1]
    first = api.call(
        "GET", f"/v1/sessions/{sid}/messages?order=desc&page_size=1", expect=200
    ).json()
    token = first["next_page_token"]
    assert token
    api.call(
        "GET",
        f"/v1/sessions/{sid}/messages?order=desc&page_size=1",
        params={"page_token": token},
        expect=200,
    )
    api.call("PATCH", f"/v1/sessions/{sid}", json={"status": "archived"}, expect=200)
    api.call("DELETE", f"/v1/sessions/{sid}", expect=204)
    api.call("GET", f"/v1/sessions/{sid}", expect=404)


@needs("sessions")
def test_sessions_errors_conform(api: Api) -> None:
    api.call("GET", "/v1/sessions", auth=False, expect=401)
    api.call("GET", "/v1/sessions?page_size=0", expect=400)
    api.call("GET", "/v1/sessions?status=deleted", expect=400)
    api.call("GET", "/v1/sessions?page_token=not-a-token", expect=400)
    api.call("GET", "/v1/sessions/no-such-session", expect=404)
    api.call("GET", "/v1/sessions/no-such-session/messages", expect=404)
    api.call(
        "POST",
        "/v1/sessions",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
        expect=400,
    )
    api.call("POST", "/v1/sessions", json={"title": "x", "owner": "me"}, expect=400)
    sid = api.call("POST", "/v1/sessions", json={}, expect=201).json()["session_id"]
    api.call("PATCH", f"/v1/sessions/{sid}", json={"status": "deleted"}, expect=400)
    api.call(
        "POST", f"/v1/sessions/{sid}/messages", json={"messages": [{"role": "user"}]}, expect=400
    )
    api.call("GET", f"/v1/sessions/{sid}/messages?order=sideways", expect=400)


@needs("sessions")
def test_user_erasure_conforms(api: Api) -> None:
    eraser = Api(api.base_url, f"dev:contract:erase-{uuid.uuid4().hex[:8]}")
    sid = eraser.call("POST", "/v1/sessions", json={}, expect=201).json()["session_id"]

    erased = eraser.call("DELETE", "/v1/users/me", expect=200).json()
    assert erased["sessions_deleted"] == 1

    eraser.call("GET", f"/v1/sessions/{sid}", expect=404)


# chat --------------------------------------------------------------------------------------


@needs("chat")
def test_chat_conforms(api: Api) -> None:
    first = api.call("POST", "/v1/chat", json={"message": "Hello there"}, expect=201).json()
    sid = first["session_id"]
    api.call("POST", "/v1/chat", json={"message": "And again", "session_id": sid}, expect=200)
    key = uuid.uuid4().hex
    body = {"message": "Once only", "session_id": sid}
    once = api.call("POST", "/v1/chat", json=body, headers={"Idempotency-Key": key}, expect=200)
    again = api.call("POST", "/v1/chat", json=body, headers={"Idempotency-Key": key}, expect=200)
    assert again.json() == once.json()
    api.call(
        "POST",
        "/v1/chat",
        json={"message": "Something else", "session_id": sid},
        headers={"Idempotency-Key": key},
        expect=409,
    )


@needs("chat")
def test_chat_stream_conforms(api: Api) -> None:
    response = api.call(
        "POST",
        "/v1/chat",
        json={"message": "Stream this", "stream": True},
        headers={"Accept": "text/event-stream"},
        expect=201,
    )
    events = list(parse_sse(response.text.splitlines()))

    names = [e.event for e in events]
    assert names[0] == "session" and names[-1] == "done", names
    assert "delta" in names
    for event in events:
        if event.event == "delta":
            assert isinstance(event.json()["text"], str)
    check_schema(schema_of("ChatResponse"), events[-1].json(), "POST /v1/chat event done")


@needs("chat")
def test_chat_errors_conform(api: Api) -> None:
    api.call("POST", "/v1/chat", json={"message": "hi"}, auth=False, expect=401)
    api.call("POST", "/v1/chat", json={"message": "   "}, expect=400)
    api.call("POST", "/v1/chat", json={"message": 42}, expect=400)
    api.call("POST", "/v1/chat", json={"message": "hi", "temperature": 2}, expect=400)
    api.call("POST", "/v1/chat", json={"message": "hi", "session_id": "nope"}, expect=404)
    api.call("POST", "/v1/chat", json={"message": "x" * 40_000}, expect=(400, 413))


# search ------------------------------------------------------------------------------------


@needs("search")
def test_search_routes_conform(api: Api) -> None:
    sid = api.call("POST", "/v1/sessions", json={}, expect=201).json()["session_id"]
    api.call(
        "POST",
        f"/v1/sessions/{sid}/messages",
        json={"messages": [{"role": "user", "content": "The ocean tide rises twice a day."}]},
        expect=201,
    )
    found = api.call("POST", "/v1/search", json={"query": "sea level", "limit": 5}, expect=200)
    assert isinstance(found.json()["degraded"], bool)
    api.call("GET", f"/v1/sessions/{sid}/similar?limit=3", expect=(200, 503))
    api.call("GET", "/v1/analytics?granularity=day", expect=(200, 503))
    status = api.call("GET", "/v1/status", expect=200).json()
    assert status["features"]


@needs("search")
def test_search_errors_conform(api: Api) -> None:
    api.call("POST", "/v1/search", json={"query": "x"}, auth=False, expect=401)
    api.call("POST", "/v1/search", json={"query": 7}, expect=400)
    api.call("POST", "/v1/search", json={}, expect=400)
    api.call("GET", "/v1/sessions/no-such-session/similar", expect=(404, 503))
    api.call("GET", "/v1/analytics?granularity=fortnight", expect=400)


def test_contract_checks_can_fail() -> None:
    """`conform` refuses an undeclared status, a wrong content type and a body off-schema."""

    def fake(status: int, body: bytes, media: str = "application/json") -> requests.Response:
        response = requests.Response()
        response.status_code = status
        response._content = body
        response.headers["Content-Type"] = media
        return response

    session = json.dumps(
        {
            "session_id": "s",
            "user_id": "u",
            "title": None,
            "status": "active",
            "metadata": {},
            "message_count": 0,
            "created_at": "2026-01-01T00:00:00.000000Z",
            "updated_at": "2026-01-01T00:00:00.000000Z",
        }
    ).encode()
    conform("GET", "/v1/sessions/s", fake(200, session))
    with pytest.raises(AssertionError, match="status not declared"):
        conform("GET", "/v1/sessions/s", fake(418, b"{}"))
    with pytest.raises(AssertionError, match="content type"):
        conform("GET", "/v1/sessions/s", fake(200, session, "text/html"))
    with pytest.raises(AssertionError, match="does not match"):
        conform("GET", "/v1/sessions/s", fake(200, session.replace(b'"active"', b'"gone"')))
    with pytest.raises(AssertionError, match="date-time"):
        conform("GET", "/v1/sessions/s", fake(200, session.replace(b"2026-01-01T", b"day 1T")))
    with pytest.raises(AssertionError, match="without a body"):
        conform("DELETE", "/v1/sessions/s", fake(204, b"{}"))
