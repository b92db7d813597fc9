"""Issue 11 through the public gateway of the local stack (real functions-framework processes,
the Firestore emulator behind them): inputs that only the real encoder, store or HTTP server
refuse. Each answers the JSON error body with a stable code and no storage internals."""

from __future__ import annotations

import base64
import json
import socket
from typing import Any

import pytest
import requests

from emulators.stack import Stack
from shared.domain import page_tokens
from tests.conftest import unique_id


class Caller:
    def __init__(self, stack: Stack) -> None:
        self.base = stack.url("gateway")
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer dev:{unique_id('t')}:ann"

    def call(self, method: str, path: str, body: bytes | str | None = None) -> requests.Response:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        return self.http.request(method, self.base + path, data=body, headers=headers, timeout=60)

    def session(self) -> str:
        made = self.call("POST", "/v1/sessions", "{}")
        assert made.status_code == 201, made.text
        return made.json()["session_id"]

    def sessions(self) -> list[dict[str, Any]]:
        listed = self.call("GET", "/v1/sessions")
        assert listed.status_code == 200, listed.text
        return listed.json()["sessions"]


@pytest.fixture
def ann(stack: Stack) -> Caller:
    if not (stack.has("gateway") and stack.has("sessions") and stack.has("chat")):
        pytest.skip(f"stack incomplete: {stack.skipped}")
    return Caller(stack)


def error_of(response: requests.Response, status: int, code: str | None = None) -> str:
    assert response.status_code == status, response.text[:300]
    assert response.headers["Content-Type"].startswith("application/json"), response.text[:300]
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    if code is not None:
        assert body["error"]["code"] == code, body
    message = body["error"]["message"]
    for leak in ("projects/", "tenants/", "documents/", "Traceback", "<html"):
        assert leak not in message, message
    return message


APPEND_METADATA_V = '{"messages": [{"role": "user", "content": "x", "metadata": {"m": V}}]}'


def nested(depth: int) -> str:
    return '{"a":' * (depth - 1) + "{}" + "}" * (depth - 1)


@pytest.mark.parametrize(
    ("method", "path", "template"),
    [
        ("POST", "/v1/chat", '{"message": "hi", "metadata": {"m": V}}'),
        ("POST", "/v1/sessions", '{"metadata": {"m": V}}'),
        ("PATCH", "/v1/sessions/{sid}", '{"metadata": {"m": V}}'),
        ("POST", "/v1/sessions/{sid}/messages", APPEND_METADATA_V),
    ],
)
def test_metadata_40_deep_is_400_on_firestore_and_nothing_is_stored(
    ann: Caller, method: str, path: str, template: str
) -> None:
    sid = ann.session()
    before = ann.sessions()
    response = ann.call(method, path.format(sid=sid), template.replace("V", nested(40)))
    error_of(response, 400, "metadata_too_deep")
    assert ann.sessions() == before


def test_metadata_20_deep_with_the_metadata_map_is_stored_by_firestore(ann: Caller) -> None:
    made = ann.call("POST", "/v1/sessions", '{"metadata": {"m": ' + nested(19) + "}}")
    assert made.status_code == 201, made.text
    sid = made.json()["session_id"]
    assert ann.call("GET", f"/v1/sessions/{sid}").json()["metadata"] == made.json()["metadata"]


@pytest.mark.parametrize("raw", [b'"\\ud800"', b'"\xed\xa0\x80"'], ids=["escaped", "raw-bytes"])
@pytest.mark.parametrize(
    ("method", "path", "template"),
    [
        ("POST", "/v1/chat", b'{"message": V}'),
        ("POST", "/v1/sessions", b'{"title": V}'),
        ("PATCH", "/v1/sessions/{sid}", b'{"title": V}'),
        ("POST", "/v1/sessions/{sid}/messages", b'{"messages": [{"role": "user", "content": V}]}'),
    ],
)
def test_lone_surrogates_are_400_invalid_unicode(
    ann: Caller, raw: bytes, method: str, path: str, template: bytes
) -> None:
    sid = ann.session()
    before = ann.sessions()
    response = ann.call(method, path.format(sid=sid), template.replace(b"V", raw))
    error_of(response, 400, "invalid_unicode")
    assert ann.sessions() == before


@pytest.mark.parametrize("sid", ["..", "__x__", "x" * 1600], ids=["dotdot", "reserved", "long"])
@pytest.mark.parametrize(("path", "field"), [("/v1/search", "query"), ("/v1/chat", "message")])
def test_impossible_session_ids_in_bodies_are_a_plain_404(
    ann: Caller, sid: str, path: str, field: str
) -> None:
    response = ann.call("POST", path, json.dumps({field: "hello", "session_id": sid}))
    error_of(response, 404, "session_not_found")


@pytest.mark.parametrize("sid", ["a%2Fb", "__x__", "x" * 1600], ids=["slash", "reserved", "long"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/sessions/{sid}"),
        ("GET", "/v1/sessions/{sid}/messages"),
        ("DELETE", "/v1/sessions/{sid}"),
        ("GET", "/v1/sessions/{sid}/similar"),
    ],
)
def test_impossible_session_ids_in_paths_are_a_plain_404(
    ann: Caller, sid: str, method: str, path: str
) -> None:
    error_of(ann.call(method, path.format(sid=sid)), 404, "session_not_found")


def forged(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
@pytest.mark.parametrize(
    "payload",
    [
        {"k": "sessions:", "t": "0001-01-01T00:00:00+14:00", "id": "x"},
        {"k": "sessions:", "t": "2026-01-01T00:00:00+00:00", "id": "\ud800"},
        {"k": "messages:asc", "seq": 2**70},
    ],
    ids=["calendar-edge", "surrogate-id", "huge-seq"],
)
def test_forged_page_tokens_are_400_on_firestore(
    stack: Stack, ann: Caller, payload: dict[str, Any], signed: bool
) -> None:
    """Signed with the stack's own key (derived from its project: no HS_PAGE_TOKEN_KEY set
    locally), as if it had leaked: the values still fail their checks before any query."""
    sid = ann.session()
    token = forged(payload)
    if signed:
        page_tokens.configure(page_tokens.derived_key(None, stack.config.settings.project))
        cursor = dict(payload)
        token = page_tokens.encode(cursor.pop("k"), cursor)
    for path in ("/v1/sessions", f"/v1/sessions/{sid}/messages"):
        response = ann.call("GET", f"{path}?page_token={token}")
        error_of(response, 400, "invalid_page_token")


def raw_request(host: str, port: int, head: str) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 request as bytes on a socket (requests refuses nothing, but this keeps the
    bytes exactly as a hostile client sends them)."""
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(head.encode("latin-1"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head_bytes, _, body = data.partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    return status, headers, body


@pytest.mark.parametrize("target", ["gateway", "sessions"])
@pytest.mark.parametrize("size", [10_000, 70_000])
def test_huge_headers_answer_the_json_error_body(
    stack: Stack, ann: Caller, target: str, size: int
) -> None:
    host, _, port = stack.address(target).rpartition(":")
    head = (
        f"GET /v1/sessions HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {'x' * size}\r\nConnection: close\r\n\r\n"
    )
    status, headers, body = raw_request(host, int(port), head)
    assert 400 <= status < 500 and status != 404
    assert headers.get("content-type", "").startswith("application/json"), body[:200]
    error = json.loads(body)["error"]
    assert set(error) == {"code", "message"}
    assert error["code"] in {"request_header_fields_too_large", "unauthenticated"}
