"""The smoke suite: after each apply, through the public gateway with the product's own client,
what a user does on day one: a chat turn, the session and its messages, search by meaning,
analytics, isolation from another user of the same tenant, and erasure of the test user, which
also leaves nothing behind. The tests run in file order and share one conversation; the last
one erases it.

Cloud Build runs it against each deployment (`make smoke ARGS="--outputs ..."`, see
infra/README.md); `make test` and `make smoke` run it against the local stack."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import pytest

from hybrid_sessions import ApiError
from hybrid_sessions.models import Analytics, ChatResponse, SearchResult
from tests.smoke.conftest import EVENTUAL_S, Target

T = TypeVar("T")
QUESTION = "I am planning a trip to Lisbon in October; what should I pack?"


def eventually(probe: Callable[[], T | None], what: str) -> T:
    """probe() until it returns something, for up to EVENTUAL_S (ingest is asynchronous)."""
    deadline = time.monotonic() + EVENTUAL_S
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: nothing after {EVENTUAL_S:.0f} s")
        time.sleep(1.0)


@pytest.fixture(scope="module")
def turn(target: Target) -> ChatResponse:
    return target.user.chat(QUESTION, metadata={"smoke": True})


def test_chat_answers_and_starts_a_session(turn: ChatResponse) -> None:
    assert turn["session_id"]
    assert turn["message"]["role"] == "user" and turn["message"]["content"] == QUESTION
    assert turn["reply"]["role"] == "assistant" and turn["reply"]["content"].strip()


def test_lookup_returns_the_session_and_both_messages(target: Target, turn: ChatResponse) -> None:
    session = target.user.get_session(turn["session_id"])
    assert session["session_id"] == turn["session_id"]
    messages = target.user.list_messages(turn["session_id"])["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert messages[0]["content"] == QUESTION
    assert [s["session_id"] for s in target.user.list_sessions()["sessions"]] == [
        turn["session_id"]
    ]


def test_search_finds_the_turn_by_meaning(target: Target, turn: ChatResponse) -> None:
    def hits() -> list[SearchResult] | None:
        answer = target.user.search("holiday in Portugal, clothes to bring")
        return [h for h in answer["results"] if h["session_id"] == turn["session_id"]] or None

    found = eventually(hits, "search for the turn")
    assert all(hit["session_id"] == turn["session_id"] for hit in found)


def test_analytics_count_the_turn(target: Target, turn: ChatResponse) -> None:
    def counted() -> Analytics | None:
        # An outage of BigQuery is a 503 (ApiError): a regression here, not a wait.
        report = target.user.analytics(granularity="day")
        return report if report["totals"]["messages"] >= 2 else None

    report = eventually(counted, "analytics of the turn")
    assert report["totals"]["sessions"] == 1


def test_another_user_of_the_tenant_sees_nothing_of_it(target: Target, turn: ChatResponse) -> None:
    with pytest.raises(ApiError) as missing:
        target.other.get_session(turn["session_id"])
    assert missing.value.status == 404
    with pytest.raises(ApiError) as hidden:
        target.other.list_messages(turn["session_id"])
    assert hidden.value.status == 404
    assert target.other.list_sessions()["sessions"] == []
    assert target.other.search(QUESTION)["results"] == []
    assert target.other.analytics(granularity="day")["totals"]["messages"] == 0


def test_erasure_removes_the_test_users_data(target: Target, turn: ChatResponse) -> None:
    target.user.erase_me()
    with pytest.raises(ApiError) as gone:
        target.user.get_session(turn["session_id"])
    assert gone.value.status == 404
    assert target.user.list_sessions()["sessions"] == []
    # The copies go too: search stops finding the conversation once ingest has the erasure.
    eventually(lambda: not target.user.search(QUESTION)["results"], "search after erasure")
    target.other.erase_me()
