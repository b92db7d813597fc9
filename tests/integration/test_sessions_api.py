"""Issue 3 acceptance, sessions: pagination, concurrency, ownership and bad input, through HTTP
against the functions on the emulators (strict Firestore indexes)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.integration.session_api_support import (
    Api,
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
def api(deployment: Deployment) -> Api:
    return deployment.api.as_user("alice", tenant=f"t{uuid.uuid4().hex[:10]}")


@pytest.fixture
def db(deployment: Deployment):
    return firestore_client(deployment.firestore_host, deployment.project)


def test_pagination_over_1000_messages_both_directions(api: Api) -> None:
    sid = api.new_session(title="long")
    for batch in range(4):
        api.append(sid, [f"m{batch * 250 + i}" for i in range(250)])
    asc = api.all_pages(f"/v1/sessions/{sid}/messages", "messages", order="asc", page_size=300)
    assert [m["seq"] for m in asc] == list(range(1000))
    assert [m["content"] for m in asc[:3]] == ["m0", "m1", "m2"]
    desc = api.all_pages(f"/v1/sessions/{sid}/messages", "messages", order="desc", page_size=77)
    assert [m["seq"] for m in desc] == list(range(999, -1, -1))
    assert len({m["message_id"] for m in desc}) == 1000


def test_pagination_over_200_sessions_newest_first(api: Api) -> None:
    made = [api.new_session(title=f"s{i}") for i in range(200)]
    listed = api.all_pages("/v1/sessions", "sessions", page_size=30)
    assert [s["session_id"] for s in listed] == made[::-1]
    archived = set(made[:15])
    for sid in archived:
        response = api.call("PATCH", f"/v1/sessions/{sid}", json={"status": "archived"})
        assert response.status_code == 200
    only_archived = api.all_pages("/v1/sessions", "sessions", status="archived", page_size=4)
    assert [s["session_id"] for s in only_archived] == made[:15][::-1]
    active = api.all_pages("/v1/sessions", "sessions", status="active", page_size=50)
    assert len(active) == 185 and not archived & {s["session_id"] for s in active}


def test_50_concurrent_appends_get_gap_free_seqs(api: Api) -> None:
    sid = api.new_session()
    results: list[int] = []
    failures: list[str] = []

    def append(i: int) -> None:
        response = requests.post(
            api.url(f"/v1/sessions/{sid}/messages"),
            json={"messages": [{"role": "user", "content": f"c{i}"}]},
            headers={"Authorization": f"Bearer {api.token}"},
            timeout=120,
        )
        if response.status_code == 201:
            results.append(response.json()["messages"][0]["seq"])
        else:
            failures.append(response.text)

    threads = [threading.Thread(target=append, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert sorted(results) == list(range(50))
    assert api.call("GET", f"/v1/sessions/{sid}").json()["message_count"] == 50
    stored = api.all_pages(f"/v1/sessions/{sid}/messages", "messages", page_size=1000)
    assert sorted(m["content"] for m in stored) == sorted(f"c{i}" for i in range(50))


def test_user_b_gets_404_on_every_route_of_a_session_of_user_a(api: Api, db) -> None:
    sid = api.new_session(title="private")
    api.append(sid, ["secret"])
    bob = api.as_user("bob")
    attempts = [
        ("GET", f"/v1/sessions/{sid}", None),
        ("PATCH", f"/v1/sessions/{sid}", {"title": "stolen"}),
        ("DELETE", f"/v1/sessions/{sid}", None),
        ("GET", f"/v1/sessions/{sid}/messages", None),
        ("POST", f"/v1/sessions/{sid}/messages", {"messages": [{"role": "user", "content": "x"}]}),
        ("POST", "/v1/chat", {"message": "hi", "session_id": sid}),
    ]
    for method, path, body in attempts:
        response = bob.call(method, path, json=body)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"]["code"] == "session_not_found"
    assert bob.call("GET", "/v1/sessions").json()["sessions"] == []
    # another tenant with the same user name sees nothing either
    twin = api.as_user("alice", tenant=api.tenant + "x")
    assert twin.call("GET", f"/v1/sessions/{sid}").status_code == 404
    session = api.call("GET", f"/v1/sessions/{sid}").json()
    assert (session["title"], session["message_count"]) == ("private", 1)


def test_bad_input_is_a_4xx_json_error_and_writes_nothing(api: Api, db) -> None:
    sid = api.new_session()
    before = count_tenant_docs(db, api.tenant)
    json_headers = {"Content-Type": "application/json"}
    cases: list[tuple[str, str, dict[str, Any], int, str | None]] = [
        ("POST", "/v1/chat", {"data": b"{oops", "headers": json_headers}, 400, "invalid_json"),
        ("POST", "/v1/chat", {"json": {"message": 42}}, 400, "invalid_argument"),
        ("POST", "/v1/chat", {"json": {"message": "x", "stream": "no"}}, 400, "invalid_argument"),
        ("POST", "/v1/chat", {"json": {"message": "x", "user_id": "b"}}, 400, "unknown_field"),
        ("POST", "/v1/chat", {"json": {"message": ""}}, 400, "empty_message"),
        ("POST", "/v1/chat", {"json": {"message": "x" * 32_001}}, 400, "message_too_long"),
        ("POST", "/v1/chat", {"json": {"message": "x", "session_id": "nope"}}, 404, None),
        ("GET", "/v1/chat", {}, 405, "method_not_allowed"),
        ("PUT", f"/v1/sessions/{sid}", {"json": {"title": "x"}}, 405, "method_not_allowed"),
        ("POST", "/v1/sessions", {"json": {"title": 7}}, 400, "invalid_argument"),
        ("POST", "/v1/sessions", {"json": {"owner": "bob"}}, 400, "unknown_field"),
        ("PATCH", f"/v1/sessions/{sid}", {"json": {"status": "gone"}}, 400, "invalid_argument"),
        ("PATCH", f"/v1/sessions/{sid}", {"json": {"message_count": 9}}, 400, "unknown_field"),
        (
            "POST",
            f"/v1/sessions/{sid}/messages",
            {"json": {"messages": [{"role": "robot", "content": "x"}]}},
            400,
            "invalid_argument",
        ),
        (
            "POST",
            f"/v1/sessions/{sid}/messages",
            {"json": {"messages": [{"role": "user", "content": "   "}]}},
            400,
            "empty_message",
        ),
        ("POST", f"/v1/sessions/{sid}/messages", {"json": {"messages": []}}, 400, None),
        ("GET", "/v1/sessions", {"params": {"page_token": "not-a-token"}}, 400, None),
        ("GET", f"/v1/sessions/{sid}/messages", {"params": {"page_token": "eA"}}, 400, None),
        ("GET", f"/v1/sessions/{sid}/messages", {"params": {"order": "up"}}, 400, None),
        ("GET", "/v1/sessions", {"params": {"page_size": "-1"}}, 400, None),
        ("GET", "/v1/sessions/unknown-session", {}, 404, "session_not_found"),
        ("DELETE", "/v1/sessions/unknown-session", {}, 404, "session_not_found"),
        ("POST", "/v1/chat", {"data": b"x" * (3 * 1024 * 1024)}, 413, "payload_too_large"),
    ]
    for method, path, kwargs, status, code in cases:
        response = api.call(method, path, **kwargs)
        assert response.status_code == status, (method, path, kwargs, response.text[:200])
        error = response.json()["error"]
        assert set(error) == {"code", "message"} and error["message"]
        if code:
            assert error["code"] == code, (method, path, error)
    assert (
        api.call("GET", "/v1/sessions", params={"page_token": "x"}).json()["error"]["code"]
        == "invalid_page_token"
    )
    assert count_tenant_docs(db, api.tenant) == before
    assert api.call("GET", "/v1/sessions", auth=False).status_code == 401


def test_update_and_delete_a_session_with_its_messages(api: Api, db, deployment) -> None:
    sid = api.new_session(title="old", metadata={"app": "demo"})
    api.append(sid, ["a", "b", "c"])
    patched = api.call(
        "PATCH", f"/v1/sessions/{sid}", json={"title": "new", "metadata": {"k": [1, 2]}}
    ).json()
    assert (patched["title"], patched["metadata"], patched["status"]) == (
        "new",
        {"k": [1, 2]},
        "active",
    )
    assert patched["updated_at"] >= patched["created_at"]
    pull_events(deployment.pubsub_host, deployment.project, expect=0, timeout=3)
    assert api.call("DELETE", f"/v1/sessions/{sid}").status_code == 204
    assert api.call("GET", f"/v1/sessions/{sid}").status_code == 404
    assert api.call("GET", f"/v1/sessions/{sid}/messages").status_code == 404
    messages = db.collection("tenants").document(api.tenant).collection("sessions")
    assert list(messages.document(sid).collection("messages").stream()) == []
    events = pull_events(deployment.pubsub_host, deployment.project, expect=1)
    deleted = [e for e in events if e.get("change") == "deleted"]
    assert [e["session"]["message_count"] for e in deleted] == [3]


def test_erasing_a_user_removes_every_session(api: Api, db, deployment) -> None:
    for i in range(3):
        api.append(api.new_session(title=str(i)), ["x", "y"])
    other = api.as_user("carol")
    kept = other.new_session()
    pull_events(deployment.pubsub_host, deployment.project, expect=0, timeout=3)
    response = api.call("DELETE", "/v1/users/me")
    assert response.status_code == 200
    assert response.json() == {"user_id": "alice", "sessions_deleted": 3}
    assert api.call("GET", "/v1/sessions").json()["sessions"] == []
    assert other.call("GET", f"/v1/sessions/{kept}").status_code == 200
    assert count_tenant_docs(db, api.tenant)["messages"] == 0
    events = [
        e
        for e in pull_events(deployment.pubsub_host, deployment.project, expect=4)
        if e["user_id"] == "alice" and e["tenant_id"] == api.tenant
    ]
    assert [e["event_type"] for e in events].count("session.changed") == 3
    assert events[-1]["event_type"] == "user.erased"
