from __future__ import annotations

import json

import pytest
import requests

from shared.client import ApiError, ConversationAgent, HybridSessionsClient
from shared.client.sse import parse_sse
from tests.unit.client.fake_transport import session_with

BASE = "http://api.test"


def _client(handler, **kw) -> tuple[HybridSessionsClient, list[requests.PreparedRequest]]:
    session, transport = session_with(handler)
    client = HybridSessionsClient(BASE, "dev:alice", session=session, backoff=0, **kw)
    return client, transport.requests


def _error(status: int, code: str, headers: dict[str, str] | None = None):
    return status, {"error": {"code": code, "message": code}}, headers or {}


def test_chat_retries_transient_errors_with_one_idempotency_key() -> None:
    answers = iter([_error(503, "unavailable"), _error(502, "llm_unavailable")])

    def handler(request):
        return next(answers, (200, {"session_id": "s1", "reply": {"content": "hi"}}, {}))

    client, sent = _client(handler)
    assert client.chat("hello")["session_id"] == "s1"
    keys = {r.headers["Idempotency-Key"] for r in sent}
    assert len(sent) == 3 and len(keys) == 1
    assert sent[0].headers["Authorization"] == "Bearer dev:alice"


def test_create_session_is_not_retried() -> None:
    client, sent = _client(lambda r: _error(503, "unavailable"))
    with pytest.raises(ApiError) as raised:
        client.create_session(title="t")
    assert raised.value.status == 503 and raised.value.code == "unavailable"
    assert len(sent) == 1


def test_client_errors_raise_with_code_without_retry() -> None:
    client, sent = _client(lambda r: _error(404, "not_found"))
    with pytest.raises(ApiError) as raised:
        client.get_session("nope")
    assert (raised.value.status, raised.value.code, len(sent)) == (404, "not_found", 1)


def test_retry_after_longer_than_backoff_is_not_waited_for() -> None:
    client, sent = _client(lambda r: _error(503, "analytics_unavailable", {"Retry-After": "60"}))
    client.backoff = 0.01
    with pytest.raises(ApiError) as raised:
        client.analytics()
    assert raised.value.retry_after == 60 and len(sent) == 1


def test_iter_messages_follows_page_tokens_to_the_end() -> None:
    pages = {
        None: {"messages": [{"seq": 0}, {"seq": 1}], "next_page_token": "p2"},
        "p2": {"messages": [{"seq": 2}], "next_page_token": None},
    }

    def handler(request):
        query = requests.utils.urlparse(request.url).query
        params = dict(p.split("=") for p in query.split("&") if p)
        return 200, pages[params.get("page_token")], {}

    client, sent = _client(handler)
    assert [m["seq"] for m in client.iter_messages("s1")] == [0, 1, 2]
    assert len(sent) == 2


def test_parse_sse_joins_data_lines_and_skips_comments() -> None:
    lines = [": ping", "event: delta", 'data: {"text":', 'data: "a"}', "", "data: x", ""]
    events = list(parse_sse(lines))
    assert [e.event for e in events] == ["delta", "message"]
    assert events[0].json() == {"text": "a"} and events[1].data == "x"


def _agent(handler) -> tuple[ConversationAgent, list[requests.PreparedRequest]]:
    client, sent = _client(handler)
    return ConversationAgent(client=client), sent


def test_agent_starts_a_session_then_continues_it() -> None:
    def handler(request):
        body = json.loads(request.body)
        sid = body.get("session_id") or "new-session"
        return 200, {"session_id": sid, "reply": {"content": f"re: {body['message']}"}}, {}

    agent, sent = _agent(handler)
    assert agent.chat("one") == "re: one"
    assert agent.chat("two") == "re: two"
    bodies = [json.loads(r.body) for r in sent]
    assert "session_id" not in bodies[0] and bodies[1]["session_id"] == "new-session"


def test_agent_end_session_archives_and_forgets_it() -> None:
    def handler(request):
        assert request.method == "PATCH" and json.loads(request.body) == {"status": "archived"}
        return 200, {"session_id": "s1", "status": "archived"}, {}

    agent, _ = _agent(handler)
    agent.session_id = "s1"
    assert agent.end_session()["status"] == "archived"
    assert agent.session_id is None


def test_agent_analytics_degrades_instead_of_raising() -> None:
    agent, _ = _agent(lambda r: _error(503, "analytics_unavailable", {"Retry-After": "30"}))
    agent.client.retries = 0
    result = agent.get_conversation_analytics()
    assert result["available"] is False
    assert result["error"]["code"] == "analytics_unavailable" and result["retry_after"] == 30


def test_agent_similar_needs_a_session() -> None:
    agent, _ = _agent(lambda r: (200, {}, {}))
    with pytest.raises(ValueError):
        agent.find_similar_conversations()
