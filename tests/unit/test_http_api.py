"""The functions' Flask apps (functions-framework, no sockets) over in-memory services."""

from __future__ import annotations

import json
from collections.abc import Iterator

import functions_framework
import pytest

from emulators.launcher import REPO_ROOT
from shared import bootstrap
from tests.unit.session_fakes import Fakes, build

ALICE = {"Authorization": "Bearer dev:t1:alice"}
BOB = {"Authorization": "Bearer dev:t1:bob"}


@pytest.fixture
def fx() -> Iterator[Fakes]:
    fakes = build()
    bootstrap.use(fakes.services)
    yield fakes
    bootstrap.use(None)


@pytest.fixture
def chat(fx: Fakes):
    return functions_framework.create_app(
        "chat", str(REPO_ROOT / "functions/chat/main.py")
    ).test_client()


@pytest.fixture
def sessions(fx: Fakes):
    return functions_framework.create_app(
        "sessions", str(REPO_ROOT / "functions/sessions/main.py")
    ).test_client()


def error_code(response) -> str:
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    return body["error"]["code"]


def test_chat_201_then_200_with_rfc3339_times(chat, fx: Fakes) -> None:
    first = chat.post("/v1/chat", json={"message": "hi"}, headers=ALICE)
    assert first.status_code == 201
    assert first.headers["Server-Timing"].startswith("app;dur=")
    body = first.get_json()
    assert body["message"]["created_at"].endswith("Z")
    assert set(body["reply"]) >= {
        "message_id",
        "session_id",
        "seq",
        "role",
        "content",
        "created_at",
        "metadata",
        "model",
    }
    second = chat.post(
        "/v1/chat", json={"message": "more", "session_id": body["session_id"]}, headers=ALICE
    )
    assert second.status_code == 200


def test_chat_streams_sse(chat) -> None:
    response = chat.post(
        "/v1/chat", json={"message": "hi"}, headers={**ALICE, "Accept": "text/event-stream"}
    )
    assert response.status_code == 201
    assert response.mimetype == "text/event-stream"
    text = response.get_data(as_text=True)
    events = [block.split("\n")[0] for block in text.strip().split("\n\n")]
    assert events[0] == "event: session" and events[-1] == "event: done"
    done = json.loads(text.strip().split("\n\n")[-1].split("data: ", 1)[1])
    assert done["reply"]["role"] == "assistant"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "invalid_json"),
        (b"[1, 2]", "invalid_json"),
        (b'{"message": NaN}', "invalid_number"),
        (b'{"message": 5}', "invalid_argument"),
        (b'{"message": "hi", "stream": "yes"}', "invalid_argument"),
        (b'{"message": "hi", "user_id": "bob"}', "unknown_field"),
        (b"{}", "missing_field"),
        (b'{"message": ""}', "empty_message"),
        (b'{"message": "' + b"x" * 32_001 + b'"}', "message_too_long"),
        (b'{"message": "hi", "session_id": "nope"}', "session_not_found"),
    ],
)
def test_chat_bad_input_writes_nothing(chat, fx: Fakes, body: bytes, code: str) -> None:
    response = chat.post(
        "/v1/chat", data=body, headers={**ALICE, "Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500
    assert error_code(response) == code
    assert fx.store.sessions == {} and fx.llm.calls == []


def test_wrong_method_oversized_body_and_unknown_route(chat, fx: Fakes) -> None:
    got = chat.get("/v1/chat", headers=ALICE)
    assert got.status_code == 405 and error_code(got) == "method_not_allowed"
    assert got.headers["Allow"] == "POST"
    huge = chat.post("/v1/chat", data=b"x" * (2 * 1024 * 1024 + 1), headers=ALICE)
    assert huge.status_code == 413 and error_code(huge) == "payload_too_large"
    assert chat.post("/v1/nothing", headers=ALICE).status_code == 404


def test_credentials_are_required(chat, sessions) -> None:
    assert error_code(chat.post("/v1/chat", json={"message": "hi"})) == "unauthenticated"
    bad = sessions.get("/v1/sessions", headers={"Authorization": "Basic abc"})
    assert bad.status_code == 401
    assert sessions.get("/v1/sessions", headers={"Authorization": "Bearer x"}).status_code == 401


def test_llm_failure_is_503_with_retry_after(chat, fx: Fakes) -> None:
    from shared.domain.errors import Unavailable

    fx.llm.fail_with = Unavailable("busy")
    response = chat.post("/v1/chat", json={"message": "hi"}, headers=ALICE)
    assert response.status_code == 503 and error_code(response) == "llm_unavailable"
    assert response.headers["Retry-After"]
    assert fx.store.sessions == {}


def test_idempotency_key_header(chat, fx: Fakes) -> None:
    headers = {**ALICE, "Idempotency-Key": "abc-1"}
    first = chat.post("/v1/chat", json={"message": "hi"}, headers=headers)
    again = chat.post("/v1/chat", json={"message": "hi"}, headers=headers)
    assert first.get_json() == again.get_json() and len(fx.llm.calls) == 1
    reused = chat.post("/v1/chat", json={"message": "other"}, headers=headers)
    assert reused.status_code == 409 and error_code(reused) == "idempotency_key_reused"
    bad = chat.post("/v1/chat", json={"message": "x"}, headers={**ALICE, "Idempotency-Key": "é"})
    assert error_code(bad) == "invalid_idempotency_key"


def test_sessions_routes(sessions, fx: Fakes) -> None:
    created = sessions.post("/v1/sessions", json={"title": "t"}, headers=ALICE)
    assert created.status_code == 201
    sid = created.get_json()["session_id"]
    assert set(created.get_json()) == {
        "session_id",
        "user_id",
        "title",
        "status",
        "metadata",
        "message_count",
        "created_at",
        "updated_at",
    }
    appended = sessions.post(
        f"/v1/sessions/{sid}/messages",
        json={
            "messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]
        },
        headers=ALICE,
    )
    assert appended.status_code == 201
    assert [m["seq"] for m in appended.get_json()["messages"]] == [0, 1]
    listed = sessions.get(f"/v1/sessions/{sid}/messages?order=desc&page_size=1", headers=ALICE)
    page = listed.get_json()
    assert [m["seq"] for m in page["messages"]] == [1] and page["next_page_token"]
    patched = sessions.patch(f"/v1/sessions/{sid}", json={"status": "archived"}, headers=ALICE)
    assert patched.get_json()["status"] == "archived"
    archived = sessions.get("/v1/sessions?status=archived", headers=ALICE).get_json()
    assert [s["session_id"] for s in archived["sessions"]] == [sid]
    assert archived["next_page_token"] is None
    assert sessions.delete(f"/v1/sessions/{sid}", headers=ALICE).status_code == 204
    assert sessions.get(f"/v1/sessions/{sid}", headers=ALICE).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/v1/sessions/{sid}", None),
        ("patch", "/v1/sessions/{sid}", {"title": "mine"}),
        ("delete", "/v1/sessions/{sid}", None),
        ("get", "/v1/sessions/{sid}/messages", None),
        ("post", "/v1/sessions/{sid}/messages", {"messages": [{"role": "user", "content": "x"}]}),
    ],
)
def test_foreign_session_is_404_on_every_route(sessions, fx, method, path, body) -> None:
    sid = sessions.post("/v1/sessions", json={}, headers=ALICE).get_json()["session_id"]
    response = getattr(sessions, method)(path.format(sid=sid), json=body, headers=BOB)
    assert response.status_code == 404 and error_code(response) == "session_not_found"
    assert fx.store.sessions[("t1", sid)].message_count == 0
    assert fx.store.sessions[("t1", sid)].title is None


@pytest.mark.parametrize(
    "query",
    ["page_size=0", "page_size=abc", "page_size=1001", "status=deleted", "page_token=%%%"],
)
def test_bad_list_queries(sessions, query: str) -> None:
    response = sessions.get(f"/v1/sessions?{query}", headers=ALICE)
    assert response.status_code == 400 and error_code(response).startswith("invalid_")


def test_patch_rejects_unknown_fields_and_null_status(sessions, fx: Fakes) -> None:
    sid = sessions.post("/v1/sessions", json={}, headers=ALICE).get_json()["session_id"]
    for body in ({"owner": "bob"}, {"status": None}, {"status": "deleted"}, {}):
        response = sessions.patch(f"/v1/sessions/{sid}", json=body, headers=ALICE)
        assert response.status_code == 400, body
    assert fx.store.sessions[("t1", sid)].version == 0


def test_erase_me(sessions, fx: Fakes) -> None:
    for _ in range(2):
        sessions.post("/v1/sessions", json={}, headers=ALICE)
    response = sessions.delete("/v1/users/me", headers=ALICE)
    assert response.get_json() == {"user_id": "alice", "sessions_deleted": 2}
    assert fx.bus.events[-1].event_type == "user.erased"


def test_trace_header_lands_in_logs(chat, capsys) -> None:
    chat.post(
        "/v1/chat",
        json={"message": "hi"},
        headers={**ALICE, "X-Cloud-Trace-Context": "0123456789abcdef0123456789abcdef/123;o=1"},
    )
    lines = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")
    ]
    summary = [line for line in lines if "httpRequest" in line][-1]
    assert summary["logging.googleapis.com/trace"].endswith(
        "/traces/0123456789abcdef0123456789abcdef"
    )
    assert summary["severity"] == "INFO" and summary["httpRequest"]["status"] == 201


@pytest.mark.parametrize("name", ["chat", "sessions", "reconciler"])
def test_cold_start_imports_no_google_client(name: str) -> None:
    import subprocess
    import sys

    probe = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('m', 'functions/{name}/main.py')\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "heavy = ('google.cloud.firestore', 'google.cloud.pubsub_v1', 'google.genai',\n"
        "         'google.cloud.bigquery', 'google.cloud.aiplatform')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
