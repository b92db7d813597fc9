"""The local gateway as a process, between a client and two fake functions, over real HTTP."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

from emulators.launcher import REPO_ROOT, ManagedProcess, free_port, port_open, python_module
from tests.conformance.gateway.fake_function import FakeFunction

TRACE = re.compile(r"^[0-9a-f]{32}/[0-9]+;o=1$")


@dataclass
class Stack:
    url: str
    chat: FakeFunction
    sessions: FakeFunction


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    dead = f"http://127.0.0.1:{free_port()}"  # the search function is down
    with FakeFunction("chat") as chat, FakeFunction("sessions") as sessions:
        port = free_port()
        log_dir = REPO_ROOT / "build" / "test-logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        gateway = ManagedProcess(
            name="gateway",
            argv=python_module(
                "emulators.gateway",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--backend",
                f"chat={chat.url}",
                "--backend",
                f"sessions={sessions.url}",
                "--backend",
                f"search={dead}",
                # Event-driven functions serve no route: the gateway ignores them.
                "--backend",
                f"ingest={dead}",
            ),
            host="127.0.0.1",
            port=port,
            log_path=log_dir / f"gateway-{port}.log",
        )
        with gateway:
            yield Stack(f"http://127.0.0.1:{port}", chat, sessions)


def test_routes_each_operation_to_its_function(stack: Stack) -> None:
    cases = [
        ("GET", "/v1/sessions", "sessions"),
        ("POST", "/v1/sessions", "sessions"),
        ("GET", "/v1/sessions/s-1", "sessions"),
        ("PATCH", "/v1/sessions/s-1", "sessions"),
        ("GET", "/v1/sessions/s-1/messages", "sessions"),
        ("POST", "/v1/sessions/s-1/messages", "sessions"),
    ]
    for method, path, function in cases:
        answer = requests.request(method, stack.url + path, timeout=10)
        assert answer.json()["function"] == function, (method, path)
        assert answer.json()["path"] == path


def test_path_query_and_body_pass_unchanged(stack: Stack) -> None:
    body = b'{"messages": [{"role": "user", "content": "caf\\u00e9 \xc3\xa9"}]}'
    path = "/v1/sessions/a%2Fb%20c/messages?page_size=5&order=desc&page_token=x%3D%3D"

    answer = requests.post(
        stack.url + path, data=body, headers={"Content-Type": "application/json"}, timeout=10
    )

    seen = stack.sessions.seen[-1]
    assert seen.path == path
    assert seen.body == body
    assert seen.headers["Content-Type"] == "application/json"
    assert answer.status_code == 201
    assert answer.headers["Retry-After"] == "7"
    assert answer.headers["Content-Type"] == "application/json"


def test_empty_answers_pass_through(stack: Stack) -> None:
    answer = requests.delete(stack.url + "/v1/users/me", timeout=10)

    assert answer.status_code == 204
    assert answer.content == b""
    assert stack.sessions.seen[-1].method == "DELETE"


def test_headers_pass_through(stack: Stack) -> None:
    headers = {
        "Authorization": "Bearer dev:acme:alice",
        "Idempotency-Key": "k-123",
        "Accept": "application/json",
        "X-Cloud-Trace-Context": "0123456789abcdef0123456789abcdef/42;o=1",
        "User-Agent": "hs-test",
    }

    requests.get(stack.url + "/v1/sessions/s-1", headers=headers, timeout=10)

    seen = stack.sessions.seen[-1].headers
    for name, value in headers.items():
        assert seen[name] == value
    assert seen["X-Forwarded-Authorization"] == "Bearer dev:acme:alice"
    assert seen["X-Forwarded-For"] == "127.0.0.1"
    assert seen["X-Forwarded-Proto"] == "http"
    assert seen["Host"] != stack.url.removeprefix("http://")


def test_a_trace_context_is_added_when_absent(stack: Stack) -> None:
    requests.get(stack.url + "/v1/sessions", timeout=10)
    requests.get(stack.url + "/v1/sessions", timeout=10)

    first, second = (s.headers["X-Cloud-Trace-Context"] for s in stack.sessions.seen[-2:])
    assert TRACE.match(first) and TRACE.match(second)
    assert first != second


def test_gateway_headers_cannot_be_forged(stack: Stack) -> None:
    forged = {
        "X-Forwarded-Authorization": "Bearer dev:acme:mallory",
        "X-Apigateway-Api-Userinfo": "eyJzdWIiOiJtYWxsb3J5In0",
    }

    requests.get(stack.url + "/v1/sessions", headers=forged, timeout=10)

    seen = stack.sessions.seen[-1].headers
    assert "X-Forwarded-Authorization" not in seen
    assert "X-Apigateway-Api-Userinfo" not in seen


def test_server_sent_events_stream_through_unbuffered(stack: Stack) -> None:
    stack.chat.release.clear()
    stack.chat.stream_done.clear()
    with requests.post(
        stack.url + "/v1/chat",
        json={"message": "hi", "stream": True},
        headers={"Accept": "text/event-stream"},
        stream=True,
        timeout=10,
    ) as answer:
        assert answer.status_code == 200
        assert answer.headers["Content-Type"] == "text/event-stream"
        lines = answer.iter_lines()
        assert next(lines) == b"event: delta"
        assert next(lines) == b'data: {"text": "first"}'
        # The function is still holding the rest: the first event came through on its own.
        assert not stack.chat.stream_done.is_set()
        stack.chat.release.set()
        rest = [line for line in lines if line]
    assert rest == [
        b"event: delta",
        b'data: {"text": "second"}',
        b"event: done",
        b"data: {}",
    ]
    assert stack.chat.seen[-1].headers["Accept"] == "text/event-stream"


def test_unknown_path_is_404(stack: Stack) -> None:
    for path in ("/v1/nothing", "/v1/sessions/", "/V1/sessions", "/", "/v1/sessions/a/b/c"):
        answer = requests.get(stack.url + path, timeout=10)
        assert answer.status_code == 404, path
        assert answer.json()["error"]["code"] == "not_found"


def test_wrong_method_is_405(stack: Stack) -> None:
    answer = requests.put(stack.url + "/v1/sessions/s-1", json={}, timeout=10)

    assert answer.status_code == 405
    assert answer.json()["error"]["code"] == "method_not_allowed"
    assert answer.headers["Allow"] == "DELETE, GET, PATCH"


def test_function_down_is_502(stack: Stack) -> None:
    answer = requests.post(stack.url + "/v1/search", json={"query": "tides"}, timeout=10)

    assert answer.status_code == 502
    assert answer.json()["error"]["code"] == "bad_gateway"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_the_gateway(signum: signal.Signals) -> None:
    port = free_port()
    proc = subprocess.Popen(
        python_module("emulators.gateway", "--port", str(port), "--quiet"),
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while not port_open("127.0.0.1", port) and time.monotonic() < deadline:
            assert proc.poll() is None, "the gateway exited at start"
            time.sleep(0.05)
        answer = requests.get(f"http://127.0.0.1:{port}/v1/status", timeout=10)
        assert answer.status_code == 503  # no backend configured for search
        assert json.loads(answer.content)["error"]["code"] == "unavailable"
        proc.send_signal(signum)
        assert proc.wait(timeout=10) == 0
        assert not port_open("127.0.0.1", port)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
