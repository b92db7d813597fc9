from __future__ import annotations

import asyncio

import httpx
import pytest

from hybrid_sessions import ApiError, AsyncHybridSessionsClient, ConversationAgent
from hybrid_sessions.sse import parse_sse
from tests.unit.client.fake_transport import async_client, body, sync_client


def _error(status: int, code: str, headers: dict[str, str] | None = None):
    return status, {"error": {"code": code, "message": code}}, headers or {}


def test_chat_retries_transient_errors_with_one_idempotency_key() -> None:
    answers = iter([_error(503, "unavailable"), _error(502, "llm_unavailable")])

    def handler(request):
        return next(answers, (200, {"session_id": "s1", "reply": {"content": "hi"}}, {}))

    client, sent = sync_client(handler)
    assert client.chat("hello")["session_id"] == "s1"
    keys = {r.headers["Idempotency-Key"] for r in sent}
    assert len(sent) == 3 and len(keys) == 1
    assert sent[0].headers["Authorization"] == "Bearer dev:alice"
    assert sent[0].headers["User-Agent"].startswith("hybrid-sessions-python/")


def test_connection_errors_are_retried_where_safe_only() -> None:
    calls = {"n": 0}

    def handler(request):
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx.ConnectError("refused", request=request)
        return 200, {"features": {}}, {}

    client, _ = sync_client(handler)
    assert client.status() == {"features": {}} and calls["n"] == 2

    def refuse(request):
        raise httpx.ConnectError("refused", request=request)

    client, _ = sync_client(refuse)
    with pytest.raises(httpx.ConnectError):
        client.create_session(title="t")


def test_create_session_is_not_retried() -> None:
    client, sent = sync_client(lambda r: _error(503, "unavailable"))
    with pytest.raises(ApiError) as raised:
        client.create_session(title="t")
    assert raised.value.status == 503 and raised.value.code == "unavailable"
    assert len(sent) == 1


def test_client_errors_raise_with_code_without_retry() -> None:
    client, sent = sync_client(lambda r: _error(404, "not_found"))
    with pytest.raises(ApiError) as raised:
        client.get_session("nope")
    assert (raised.value.status, raised.value.code, len(sent)) == (404, "not_found", 1)


def test_a_session_id_stays_one_path_segment() -> None:
    client, sent = sync_client(lambda r: (200, {"messages": []}, {}))
    client.list_messages("a/b?c")
    assert sent[0].url.raw_path.startswith(b"/v1/sessions/a%2Fb%3Fc/messages")


def test_retry_after_longer_than_backoff_is_not_waited_for() -> None:
    client, sent = sync_client(
        lambda r: _error(503, "analytics_unavailable", {"Retry-After": "60"})
    )
    client.backoff = 0.01
    with pytest.raises(ApiError) as raised:
        client.analytics()
    assert raised.value.retry_after == 60 and len(sent) == 1


def test_a_token_function_is_called_per_request() -> None:
    tokens = iter(["one", "two"])
    client, sent = sync_client(lambda r: (200, {"features": {}}, {}))
    client._token = lambda: next(tokens)
    client.status()
    client.status()
    assert [r.headers["Authorization"] for r in sent] == ["Bearer one", "Bearer two"]


def _paged(request):
    pages = {
        None: {"messages": [{"seq": 0}, {"seq": 1}], "next_page_token": "p2"},
        "p2": {"messages": [{"seq": 2}], "next_page_token": None},
    }
    return 200, pages[request.url.params.get("page_token")], {}


def test_iter_messages_follows_page_tokens_to_the_end() -> None:
    client, sent = sync_client(_paged)
    assert [m["seq"] for m in client.iter_messages("s1")] == [0, 1, 2]
    assert len(sent) == 2


def test_parse_sse_joins_data_lines_and_skips_comments() -> None:
    lines = [": ping", "event: delta", 'data: {"text":', 'data: "a"}', "", "data: x", ""]
    events = list(parse_sse(lines))
    assert [e.event for e in events] == ["delta", "message"]
    assert events[0].json() == {"text": "a"} and events[1].data == "x"


STREAM = (
    b'event: session\ndata: {"session_id": "s9", "created": true}\n\n'
    b'event: delta\ndata: {"text": "Hel"}\n\n: keep-alive\n\n'
    b'event: delta\ndata: {"text": "lo"}\n\n'
    b'event: done\ndata: {"session_id": "s9", "reply": {"content": "Hello"}}\n\n'
)


def _stream(request):
    assert request.headers["Accept"] == "text/event-stream" and body(request)["stream"] is True
    return 200, STREAM, {"Content-Type": "text/event-stream"}


def test_chat_stream_yields_the_events() -> None:
    client, _ = sync_client(_stream)
    events = list(client.chat_stream("hi"))
    assert [e.event for e in events] == ["session", "delta", "delta", "done"]


def test_async_client_sends_pages_and_streams_like_the_sync_one() -> None:
    async def scenario() -> tuple[list[int], list[str], int]:
        paged, _ = async_client(_paged)
        streaming, _ = async_client(_stream)
        failing, sent = async_client(lambda r: _error(503, "unavailable"), retries=2)
        async with paged, streaming, failing:
            seqs = [m["seq"] async for m in paged.iter_messages("s1")]
            names = [e.event async for e in streaming.chat_stream("hi")]
            with pytest.raises(ApiError):
                await failing.search("q")
        return seqs, names, len(sent)

    seqs, names, attempts = asyncio.run(scenario())
    assert seqs == [0, 1, 2] and names == ["session", "delta", "delta", "done"]
    assert attempts == 3  # search is a read: tried, then retried twice


def test_async_client_is_exported_lazily() -> None:
    import hybrid_sessions

    assert hybrid_sessions.AsyncHybridSessionsClient is AsyncHybridSessionsClient


def _agent(handler) -> tuple[ConversationAgent, list[httpx.Request]]:
    client, sent = sync_client(handler)
    return ConversationAgent(client=client), sent


def test_agent_starts_a_session_then_continues_it() -> None:
    def handler(request):
        sent = body(request)
        sid = sent.get("session_id") or "new-session"
        return 200, {"session_id": sid, "reply": {"content": f"re: {sent['message']}"}}, {}

    agent, sent = _agent(handler)
    assert agent.chat("one") == "re: one"
    assert agent.chat("two") == "re: two"
    bodies = [body(r) for r in sent]
    assert "session_id" not in bodies[0] and bodies[1]["session_id"] == "new-session"


def test_agent_streams_and_keeps_the_session() -> None:
    agent, _ = _agent(_stream)
    assert "".join(agent.chat_stream("hi")) == "Hello"
    assert agent.session_id == "s9" and agent.last_response is not None
    assert agent.last_response["reply"]["content"] == "Hello"


def test_agent_end_session_archives_and_forgets_it() -> None:
    def handler(request):
        assert request.method == "PATCH" and body(request) == {"status": "archived"}
        return 200, {"session_id": "s1", "status": "archived"}, {}

    agent, _ = _agent(handler)
    agent.session_id = "s1"
    ended = agent.end_session()
    assert ended is not None and ended["status"] == "archived"
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


def test_agent_reads_its_address_and_token_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("HS_API_URL", "http://from-env:9")
    monkeypatch.setenv("HS_API_TOKEN", "dev:env")
    assert ConversationAgent().client.base_url == "http://from-env:9"
    monkeypatch.delenv("HS_API_TOKEN")
    with pytest.raises(ValueError):
        ConversationAgent()
