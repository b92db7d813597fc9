from __future__ import annotations

import threading
from collections.abc import Generator

import pytest

from shared.domain.errors import Conflict, InvalidInput, NotFound, Unavailable, UpstreamError
from shared.domain.models import ChatRequest
from tests.unit.session_fakes import ALICE, BOB, Fakes, build


@pytest.fixture
def fx() -> Fakes:
    return build()


def chat(fx: Fakes, message: str, session_id: str | None = None, key: str | None = None):
    return fx.services.chat.chat(ALICE, ChatRequest(message=message, session_id=session_id), key)


def test_chat_without_session_creates_one_then_continues_it(fx: Fakes) -> None:
    first = chat(fx, "hello")
    assert first.status == 201 and first.body["session_created"] is True
    sid = first.body["session_id"]
    second = chat(fx, "again", sid)
    assert second.status == 200
    assert [second.body["message"]["seq"], second.body["reply"]["seq"]] == [2, 3]
    session = fx.services.sessions.get(ALICE, sid)
    assert session.message_count == 4 and session.title == "hello"
    # the model saw the whole short history plus the new question
    assert [t.content for t in fx.llm.calls[-1]] == [
        "hello",
        first.body["reply"]["content"],
        "again",
    ]


def test_chat_publishes_both_messages_and_the_created_session(fx: Fakes) -> None:
    body = chat(fx, "hello").body
    ids = [e.event_id for e in fx.bus.of_type("message.created")]
    assert ids == [body["message"]["message_id"], body["reply"]["message_id"]]
    assert [e.change for e in fx.bus.of_type("session.changed")] == ["created"]
    assert all(m.published for box in fx.store.messages.values() for m in box.values())
    assert fx.store.outbox == {}


def test_chat_reports_usage(fx: Fakes) -> None:
    usage = chat(fx, "hello").body["usage"]
    assert usage["model"] == "memory-echo"
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] > 0
    assert usage["latency_ms"] >= 0


def test_context_window_is_bounded_by_count() -> None:
    fx = build(context_max_messages=5)
    sid = chat(fx, "m0").body["session_id"]
    for i in range(1, 6):
        chat(fx, f"m{i}", sid)
    turns = fx.llm.calls[-1]
    assert len(turns) <= 5 and turns[-1].content == "m5"
    assert turns[0].role == "user"


def test_context_window_is_bounded_by_tokens() -> None:
    fx = build(context_token_budget=60)
    sid = chat(fx, "x" * 100).body["session_id"]
    chat(fx, "short", sid)
    # 100 chars = 25 tokens each way; only what fits 60 tokens, newest first, is sent
    assert sum(fx.llm.estimate_tokens(t.content) for t in fx.llm.calls[-1]) <= 60
    assert fx.llm.calls[-1][-1].content == "short"


def test_llm_unavailable_stores_nothing(fx: Fakes) -> None:
    fx.llm.fail_with = Unavailable("model overloaded")
    with pytest.raises(Unavailable) as err:
        chat(fx, "hello")
    assert err.value.code == "llm_unavailable"
    assert fx.store.sessions == {} and fx.store.messages == {} and fx.bus.events == []


def test_llm_error_stores_nothing_in_existing_session(fx: Fakes) -> None:
    sid = chat(fx, "hello").body["session_id"]
    fx.llm.fail_with = UpstreamError("blocked")
    with pytest.raises(UpstreamError) as err:
        chat(fx, "again", sid)
    assert err.value.code == "llm_error"
    assert fx.services.sessions.get(ALICE, sid).message_count == 2


def test_pubsub_down_chat_succeeds_and_messages_stay_unpublished(fx: Fakes) -> None:
    fx.bus.down = True
    body = chat(fx, "hello").body
    assert body["reply"]["content"]
    stored = [m for box in fx.store.messages.values() for m in box.values()]
    assert len(stored) == 2 and not any(m.published for m in stored)
    assert len(fx.store.outbox) == 1  # the session's created event waits too


def test_idempotent_retry_returns_stored_result_without_llm_call(fx: Fakes) -> None:
    first = chat(fx, "hello", key="k1")
    again = chat(fx, "hello", key="k1")
    assert again.status == first.status == 201
    assert again.body == first.body
    assert len(fx.llm.calls) == 1
    assert sum(len(box) for box in fx.store.messages.values()) == 2


def test_idempotency_key_reused_with_other_body_is_conflict(fx: Fakes) -> None:
    chat(fx, "hello", key="k1")
    with pytest.raises(Conflict) as err:
        chat(fx, "something else", key="k1")
    assert err.value.code == "idempotency_key_reused"


def test_idempotency_keys_are_per_user(fx: Fakes) -> None:
    chat(fx, "hello", key="k1")
    other = fx.services.chat.chat(BOB, ChatRequest(message="hello"), "k1")
    assert other.status == 201 and len(fx.llm.calls) == 2


def test_failed_attempt_frees_the_key_for_a_retry(fx: Fakes) -> None:
    fx.llm.fail_with = Unavailable("down")
    with pytest.raises(Unavailable):
        chat(fx, "hello", key="k1")
    fx.llm.fail_with = None
    assert chat(fx, "hello", key="k1").status == 201


def test_concurrent_duplicate_is_refused_while_first_runs(fx: Fakes) -> None:
    gate, entered = threading.Event(), threading.Event()
    original = fx.llm.complete

    def slow(turns, *, system=None):
        entered.set()
        gate.wait(5)
        return original(turns, system=system)

    fx.llm.complete = slow  # type: ignore[method-assign]  # the test swaps one method of its fake
    results: list[object] = []
    worker = threading.Thread(target=lambda: results.append(chat(fx, "hello", key="k1")))
    worker.start()
    entered.wait(5)
    with pytest.raises(Conflict) as err:
        chat(fx, "hello", key="k1")
    assert err.value.code == "idempotency_key_in_progress"
    gate.set()
    worker.join(5)
    assert len(fx.llm.calls) == 1 and len(results) == 1


def test_chat_into_foreign_or_unknown_session_is_not_found(fx: Fakes) -> None:
    sid = chat(fx, "hello").body["session_id"]
    with pytest.raises(NotFound):
        fx.services.chat.chat(BOB, ChatRequest(message="hi", session_id=sid), None)
    with pytest.raises(NotFound):
        chat(fx, "hi", "no-such-session")
    with pytest.raises(NotFound):
        chat(fx, "hi", "../../etc")


@pytest.mark.parametrize("message", ["", "   \n", "x" * 32_001])
def test_empty_or_oversized_message_is_invalid(fx: Fakes, message: str) -> None:
    with pytest.raises(InvalidInput):
        chat(fx, message)
    assert fx.llm.calls == [] and fx.store.sessions == {}


def test_archived_session_refuses_chat(fx: Fakes) -> None:
    from shared.domain.models import UpdateSession

    sid = chat(fx, "hello").body["session_id"]
    fx.services.sessions.update(ALICE, sid, UpdateSession(status="archived"))
    with pytest.raises(Conflict) as err:
        chat(fx, "again", sid)
    assert err.value.code == "session_archived"


def test_stream_yields_session_deltas_done_and_stores(fx: Fakes) -> None:
    result = fx.services.chat.stream(ALICE, ChatRequest(message="hello", stream=True), None)
    events = list(result.events)
    assert result.status == 201
    names = [e.name for e in events]
    assert names[0] == "session" and names[-1] == "done" and "delta" in names
    text = "".join(e.data["text"] for e in events if e.name == "delta")
    done = events[-1].data
    assert text == done["reply"]["content"]
    assert fx.services.sessions.get(ALICE, done["session_id"]).message_count == 2


def test_stream_llm_failure_is_an_error_event_and_stores_nothing(fx: Fakes) -> None:
    fx.llm.fail_with = Unavailable("down")
    events = list(fx.services.chat.stream(ALICE, ChatRequest(message="hello"), "k").events)
    assert events[-1].name == "error"
    assert events[-1].data["error"]["code"] == "llm_unavailable"
    assert fx.store.sessions == {}
    fx.llm.fail_with = None
    assert chat(fx, "hello", key="k").status == 201  # the key was released


def test_stream_abandoned_by_client_stores_nothing(fx: Fakes) -> None:
    events = fx.services.chat.stream(ALICE, ChatRequest(message="hello"), None).events
    assert isinstance(events, Generator)
    next(events)
    next(events)
    events.close()
    assert fx.store.sessions == {}


def test_stream_replay_of_stored_result(fx: Fakes) -> None:
    body = chat(fx, "hello", key="k1").body
    events = list(fx.services.chat.stream(ALICE, ChatRequest(message="hello"), "k1").events)
    assert events[-1].data == body and len(fx.llm.calls) == 1
