"""Search by meaning and similar conversations end to end: chats through the gateway, ingest
through Pub/Sub into the Vertex emulator (real MiniLM vectors), then the search function."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from emulators.stack import Stack
from tests.conftest import unique_id
from tests.integration.ingest_support import vector_ids

pytestmark = pytest.mark.skipif(
    not os.path.exists("functions/search/main.py"), reason="the search function is not in the tree"
)


class Api:
    """The public API through the gateway, as one user (dev tokens, optional roles)."""

    def __init__(self, stack: Stack, tenant: str, user: str, roles: str = "") -> None:
        self.base = stack.url("gateway")
        self.tenant, self.user = tenant, user
        self.http = requests.Session()
        token = f"dev:{tenant}:{user}" + (f":{roles}" if roles else "")
        self.http.headers["Authorization"] = f"Bearer {token}"

    def chat(self, message: str, session_id: str | None = None) -> dict[str, Any]:
        body = {"message": message, **({"session_id": session_id} if session_id else {})}
        response = self.http.post(f"{self.base}/v1/chat", json=body, timeout=60)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def call(self, method: str, path: str, **kw: Any) -> requests.Response:
        return self.http.request(method, f"{self.base}{path}", timeout=60, **kw)

    def search(self, query: str, **filters: Any) -> dict[str, Any]:
        response = self.call("POST", "/v1/search", json={"query": query, **filters})
        assert response.status_code == 200, response.text
        return response.json()


def eventually(check: Callable[[], Any], timeout: float = 60.0, every: float = 0.5) -> Any:
    """The first truthy result of `check`, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, f"still {result!r} after {timeout} s"
        time.sleep(every)
    return result


def indexed(stack: Stack, tenant: str, sessions: list[str]) -> None:
    """Wait until both messages of every session's first turn are in the vector index."""
    wanted = {f"{sid}-{seq:08d}" for sid in sessions for seq in (0, 1)}
    eventually(lambda: wanted <= set(vector_ids(stack.env, tenant)))


@pytest.fixture(scope="module")
def people(stack: Stack) -> dict[str, Any]:
    """Alice and Bob of one tenant share words and topics; each has their own sessions."""
    if not (stack.has("search") and stack.has("ingest") and stack.has("vertex")):
        pytest.skip(f"stack incomplete: {stack.skipped}")
    tenant = unique_id("t")
    alice, bob = Api(stack, tenant, "alice"), Api(stack, tenant, "bob")
    sessions = {
        "paris": alice.chat("I am booking a flight to Paris for the spring holidays.")[
            "session_id"
        ],
        "museums": alice.chat("Which museums and galleries should I see in Paris?")["session_id"],
        "bread": alice.chat("How do I make my sourdough bread rise better?")["session_id"],
        "python": alice.chat("What is a good way to learn Python programming?")["session_id"],
        "bob_paris": bob.chat("I am booking a flight to Paris for the spring holidays.")[
            "session_id"
        ],
    }
    indexed(stack, tenant, list(sessions.values()))
    return {"alice": alice, "bob": bob, "sessions": sessions}


def test_search_finds_messages_by_meaning_not_shared_words(people: dict[str, Any]) -> None:
    alice, sessions = people["alice"], people["sessions"]

    answer = alice.search("travel plans to France", limit=8)  # all of Alice's messages

    assert answer["degraded"] is False
    top = answer["results"][0]
    assert top["session_id"] == sessions["paris"] and top["role"] == "user"
    assert top["content"] == "I am booking a flight to Paris for the spring holidays."
    ranked = [r["session_id"] for r in answer["results"]]
    assert ranked.index(sessions["paris"]) < ranked.index(sessions["bread"])
    assert ranked.index(sessions["paris"]) < ranked.index(sessions["python"])


def test_search_never_returns_another_users_or_tenants_messages(
    stack: Stack, people: dict[str, Any]
) -> None:
    alice, bob, sessions = people["alice"], people["bob"], people["sessions"]
    mine = {sessions[k] for k in ("paris", "museums", "bread", "python")}

    seen_by_alice = {r["session_id"] for r in alice.search("booking a flight to Paris")["results"]}
    seen_by_bob = {r["session_id"] for r in bob.search("booking a flight to Paris")["results"]}
    stranger = Api(stack, unique_id("t"), "alice")  # same user id, another tenant

    assert seen_by_alice <= mine and sessions["bob_paris"] not in seen_by_alice
    assert seen_by_bob == {sessions["bob_paris"]}
    assert stranger.search("booking a flight to Paris")["results"] == []
    foreign = alice.call(
        "POST", "/v1/search", json={"query": "Paris", "session_id": sessions["bob_paris"]}
    )
    assert foreign.status_code == 404


def test_search_filters_and_pages(people: dict[str, Any]) -> None:
    alice, sessions = people["alice"], people["sessions"]

    replies = alice.search("Paris", role="assistant", session_id=sessions["paris"])["results"]
    assert [r["role"] for r in replies] == ["assistant"]
    assert {r["session_id"] for r in replies} == {sessions["paris"]}

    first = alice.search("Paris", limit=3)
    second = alice.search("Paris", limit=3, page_token=first["next_page_token"])
    ids = [r["message_id"] for r in first["results"] + second["results"]]
    assert len(first["results"]) == 3 and len(ids) == len(set(ids)) == 6
    bad = alice.call(
        "POST", "/v1/search", json={"query": "London", "page_token": first["next_page_token"]}
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_page_token"
    assert alice.search("Paris", until="2000-01-01T00:00:00Z")["results"] == []


def test_similar_ranks_the_same_topic_above_unrelated_ones(people: dict[str, Any]) -> None:
    alice, sessions = people["alice"], people["sessions"]

    response = alice.call("GET", f"/v1/sessions/{sessions['paris']}/similar?limit=3")

    assert response.status_code == 200, response.text
    found = response.json()["sessions"]
    assert found[0]["session_id"] == sessions["museums"]
    assert found[0]["title"] == "Which museums and galleries should I see in Paris?"
    assert found[0]["sample"] and found[0]["score"] > found[-1]["score"]
    listed = {s["session_id"] for s in found}
    assert sessions["paris"] not in listed and sessions["bob_paris"] not in listed


def test_a_deleted_session_leaves_search_at_once(stack: Stack, people: dict[str, Any]) -> None:
    alice = people["alice"]
    doomed = alice.chat("Remind me that my passport expires in June.")["session_id"]
    indexed(stack, alice.tenant, [doomed])
    assert alice.search("passport expiry")["results"][0]["session_id"] == doomed

    # Read back from Firestore: gone from the answers before ingest removes the vectors.
    assert alice.call("DELETE", f"/v1/sessions/{doomed}").status_code == 204
    assert doomed not in {r["session_id"] for r in alice.search("passport expiry")["results"]}
