"""Issue 3 acceptance, chat: several turns, automatic sessions, streaming, idempotent retries,
LLM failures, through HTTP against the functions on the emulators (strict Firestore indexes)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator

import pytest
import requests

from tests.integration.session_api_support import (
    Deployment,
    count_tenant_docs,
    deploy,
    firestore_client,
    pubsub_host,
    pull_events,
)


@pytest.fixture(scope="module")
def deployment(request, firestore_emulator, project_id) -> Iterator[Deployment]:
    with deploy(firestore_emulator.address, pubsub_host(request), project_id) as running:
        yield running


@pytest.fixture
def api(deployment: Deployment):
    return deployment.api.as_user("alice", tenant=f"t{uuid.uuid4().hex[:10]}")


def sse_events(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_conversation_of_several_turns(api) -> None:
    first = api.chat("My name is Ada. Remember it.")
    sid = first["session_id"]
    replies = [first]
    for text in ("What is my name?", "And what did I ask first?", "Thanks"):
        replies.append(api.chat(text, sid))
    assert {r["session_id"] for r in replies} == {sid}
    seqs = [(r["message"]["seq"], r["reply"]["seq"]) for r in replies]
    assert seqs == [(0, 1), (2, 3), (4, 5), (6, 7)]
    for r in replies:
        assert r["reply"]["role"] == "assistant" and r["reply"]["content"]
        assert r["usage"]["model"] and r["usage"]["input_tokens"] > 0
        assert r["usage"]["latency_ms"] >= 0
        assert r["message"]["created_at"].endswith("Z")
    session = api.call("GET", f"/v1/sessions/{sid}").json()
    assert session["message_count"] == 8
    history = api.all_pages(f"/v1/sessions/{sid}/messages", "messages", order="asc")
    assert [m["role"] for m in history] == ["user", "assistant"] * 4
    assert history[2]["content"] == "What is my name?"


def test_automatic_session_creation_201_then_200(api) -> None:
    created = api.call("POST", "/v1/chat", json={"message": "hello"})
    assert created.status_code == 201
    sid = created.json()["session_id"]
    again = api.call("POST", "/v1/chat", json={"message": "again", "session_id": sid})
    assert again.status_code == 200 and again.json()["session_id"] == sid
    listed = api.call("GET", "/v1/sessions").json()["sessions"]
    assert [s["session_id"] for s in listed] == [sid]
    assert listed[0]["title"] == "hello"


@pytest.mark.parametrize("how", ["body", "accept"])
def test_streaming_reply_is_stored_when_done(api, how: str) -> None:
    kwargs = (
        {"json": {"message": "stream please", "stream": True}}
        if how == "body"
        else {"json": {"message": "stream please"}, "headers": {"Accept": "text/event-stream"}}
    )
    response = api.call("POST", "/v1/chat", **kwargs)
    assert response.status_code == 201
    assert response.headers["Content-Type"].startswith("text/event-stream")
    events = sse_events(response.text)
    names = [name for name, _ in events]
    assert names[0] == "session" and names[-1] == "done" and "delta" in names
    text = "".join(data["text"] for name, data in events if name == "delta")
    done = events[-1][1]
    assert done["reply"]["content"] == text
    sid = events[0][1]["session_id"]
    stored = api.all_pages(f"/v1/sessions/{sid}/messages", "messages")
    assert [m["content"] for m in stored] == ["stream please", text]


def test_streaming_arrives_incrementally(api) -> None:
    with api.call(
        "POST",
        "/v1/chat",
        json={"message": "tell me a long story " * 20, "stream": True},
        stream=True,
    ) as response:
        chunks = [c for c in response.iter_content(chunk_size=None) if c]
    assert len(chunks) > 2  # session, deltas and done were not buffered into one write


def test_idempotent_retry_returns_stored_result_without_second_llm_call(
    api, deployment: Deployment
) -> None:
    headers = {"Idempotency-Key": "retry-me-1"}
    before = deployment.llm_calls()
    first = api.call("POST", "/v1/chat", json={"message": "once"}, headers=headers)
    second = api.call("POST", "/v1/chat", json={"message": "once"}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert deployment.llm_calls() - before == 1
    sid = first.json()["session_id"]
    assert api.call("GET", f"/v1/sessions/{sid}").json()["message_count"] == 2
    reused = api.call("POST", "/v1/chat", json={"message": "twice"}, headers=headers)
    assert reused.status_code == 409
    assert reused.json()["error"]["code"] == "idempotency_key_reused"


def test_concurrent_duplicates_write_once(api, deployment: Deployment) -> None:
    headers = {"Idempotency-Key": "race-1"}
    before = deployment.llm_calls()
    statuses: list[int] = []

    def send() -> None:
        response = requests.post(
            api.url("/v1/chat"),
            json={"message": "race"},
            headers={**headers, "Authorization": f"Bearer {api.token}"},
            timeout=60,
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=send) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(statuses) <= {201, 409} and 201 in statuses
    assert deployment.llm_calls() - before == 1
    db = firestore_client(deployment.firestore_host, deployment.project)
    assert count_tenant_docs(db, api.tenant) == {"sessions": 1, "messages": 2, "idempotency": 1}


def test_llm_failure_stores_nothing(api, deployment: Deployment) -> None:
    requests.post(
        f"{deployment.vertex_url}/emulator/v1/faults",
        json={"scope": "generate", "code": 503, "count": 50},
        timeout=10,
    ).raise_for_status()
    try:
        response = api.call("POST", "/v1/chat", json={"message": "will fail"})
    finally:
        requests.delete(f"{deployment.vertex_url}/emulator/v1/faults", timeout=10)
    assert response.status_code in (502, 503)
    assert response.json()["error"]["code"].startswith("llm_")
    db = firestore_client(deployment.firestore_host, deployment.project)
    assert count_tenant_docs(db, api.tenant)["messages"] == 0


def test_chat_publishes_both_messages(api, deployment: Deployment) -> None:
    pull_events(deployment.pubsub_host, deployment.project, expect=0, timeout=3)  # drain
    body = api.chat("publish me")
    events = pull_events(deployment.pubsub_host, deployment.project, expect=3)
    mine = [e for e in events if e["tenant_id"] == api.tenant]
    created = [e for e in mine if e["event_type"] == "message.created"]
    assert [e["event_id"] for e in created] == [
        body["message"]["message_id"],
        body["reply"]["message_id"],
    ]
    assert created[0]["_attributes"]["event_id"] == body["message"]["message_id"]
    assert [e["change"] for e in mine if e["event_type"] == "session.changed"] == ["created"]
