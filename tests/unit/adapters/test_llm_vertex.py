"""VertexGeminiProvider against google-genai with a mock httpx transport: no sockets.

The handler plays Vertex AI: it records each request and answers with the JSON (or SSE) that
Vertex sends, so these tests pin the wire format we send and every error mapping."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from shared.adapters.llm import vertex
from shared.adapters.llm.vertex import VertexGeminiProvider
from shared.config import Settings
from shared.domain.errors import Unavailable, UpstreamError
from shared.ports.llm import ChatTurn, Completion

Handler = Callable[[httpx.Request], httpx.Response]


def reply(text: str, *, prompt: int = 11, output: int = 3, **extra: Any) -> dict[str, Any]:
    return {
        "candidates": [
            {"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}
        ],
        "usageMetadata": {"promptTokenCount": prompt, "candidatesTokenCount": output},
        "modelVersion": "gemini-3.5-flash-001",
        **extra,
    }


def sse(*events: dict[str, Any]) -> httpx.Response:
    body = "".join(f"data: {json.dumps(e)}\r\n\r\n" for e in events)
    return httpx.Response(200, content=body.encode(), headers={"content-type": "text/event-stream"})


class FakeVertex:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    @property
    def body(self) -> dict[str, Any]:
        return json.loads(self.requests[-1].content)


def provider(handler: Handler, **settings: Any) -> tuple[VertexGeminiProvider, FakeVertex]:
    fake = FakeVertex(handler)
    config = Settings(
        vertex_endpoint=settings.pop("vertex_endpoint", "http://vertex.test:9"),
        GOOGLE_CLOUD_PROJECT="proj-1",
        vertex_location="europe-west4",
        llm_model="gemini-3.5-flash",
        **settings,
    )
    client = httpx.Client(transport=httpx.MockTransport(fake))
    return VertexGeminiProvider.from_settings(config, httpx_client=client), fake


TURNS = [
    ChatTurn("user", "Hello"),
    ChatTurn("assistant", "Hi, how can I help?"),
    ChatTurn("user", "Tell me about tides"),
]


def test_complete_sends_roles_system_and_the_vertex_path() -> None:
    llm, fake = provider(lambda r: httpx.Response(200, json=reply("Tides are...")))

    result = llm.complete(TURNS, system="Be brief.")

    request = fake.requests[0]
    assert request.method == "POST"
    assert request.url.path == (
        "/v1beta1/projects/proj-1/locations/europe-west4/publishers/google/models/"
        "gemini-3.5-flash:generateContent"
    )
    assert request.headers["authorization"].startswith("Bearer ")
    assert [c["role"] for c in fake.body["contents"]] == ["user", "model", "user"]
    assert fake.body["contents"][2]["parts"] == [{"text": "Tell me about tides"}]
    assert fake.body["systemInstruction"]["parts"] == [{"text": "Be brief."}]
    assert result.text == "Tides are..."
    assert (result.input_tokens, result.output_tokens) == (11, 3)
    assert result.model == "gemini-3.5-flash-001"
    assert result.latency_ms >= 0


def test_system_turns_join_the_system_instruction() -> None:
    llm, fake = provider(lambda r: httpx.Response(200, json=reply("ok")))

    llm.complete(
        [ChatTurn("system", "Summary: tides."), ChatTurn("user", "and?")], system="Be brief."
    )

    assert fake.body["systemInstruction"]["parts"] == [{"text": "Be brief.\n\nSummary: tides."}]
    assert [c["role"] for c in fake.body["contents"]] == ["user"]


def test_timeout_setting_reaches_the_request() -> None:
    llm, fake = provider(lambda r: httpx.Response(200, json=reply("ok")), llm_timeout_s=7.5)

    llm.complete(TURNS)

    assert fake.requests[0].headers["x-server-timeout"] == "8"  # the SDK rounds up seconds
    assert fake.requests[0].extensions["timeout"]["read"] == pytest.approx(7.5)


def test_thinking_tokens_count_as_output() -> None:
    body = reply("ok")
    body["usageMetadata"]["thoughtsTokenCount"] = 40
    llm, _ = provider(lambda r: httpx.Response(200, json=body))

    assert llm.complete(TURNS).output_tokens == 43


def test_missing_usage_is_estimated() -> None:
    body = reply("four")
    del body["usageMetadata"]
    llm, _ = provider(lambda r: httpx.Response(200, json=body))

    result = llm.complete([ChatTurn("user", "x" * 40)])

    assert result.input_tokens == 10
    assert result.output_tokens == 1


def test_stream_yields_deltas_then_the_completion() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path.endswith(":streamGenerateContent")
        assert request.url.params["alt"] == "sse"
        first = reply("Tides ", prompt=0, output=0)
        del first["usageMetadata"]
        return sse(first, reply("come in.", prompt=12, output=4))

    llm, _ = provider(handler)

    items = list(llm.stream(TURNS))

    assert items[:2] == ["Tides ", "come in."]
    final = items[-1]
    assert isinstance(final, Completion)
    assert final.text == "Tides come in."
    assert (final.input_tokens, final.output_tokens) == (12, 4)
    assert len(items) == 3


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_unavailable(status: int) -> None:
    error = {"error": {"code": status, "message": "backend busy", "status": "UNAVAILABLE"}}
    llm, _ = provider(lambda r: httpx.Response(status, json=error))

    with pytest.raises(Unavailable) as caught:
        llm.complete(TURNS)
    assert caught.value.code == "llm_unavailable"
    assert "backend busy" in caught.value.message


def test_rate_limit_is_unavailable_with_retry_after() -> None:
    error = {"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}}
    llm, _ = provider(lambda r: httpx.Response(429, json=error, headers={"Retry-After": "12"}))

    with pytest.raises(Unavailable) as caught:
        llm.complete(TURNS)
    assert caught.value.code == "llm_rate_limited"
    assert caught.value.retry_after_s == 12


@pytest.mark.parametrize("status", [400, 403, 404])
def test_client_errors_are_upstream_errors(status: int) -> None:
    error = {"error": {"code": status, "message": "model not found", "status": "NOT_FOUND"}}
    llm, _ = provider(lambda r: httpx.Response(status, json=error))

    with pytest.raises(UpstreamError) as caught:
        llm.complete(TURNS)
    assert caught.value.code == "llm_rejected"
    assert caught.value.details["status"] == status


def test_stream_errors_are_mapped_too() -> None:
    error = {"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}}
    llm, _ = provider(lambda r: httpx.Response(503, json=error))

    with pytest.raises(Unavailable):
        list(llm.stream(TURNS))


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (httpx.ReadTimeout("slow"), "llm_timeout"),
        (httpx.ConnectTimeout("slow"), "llm_timeout"),
        (httpx.ConnectError("refused"), "llm_unavailable"),
        (httpx.RemoteProtocolError("cut"), "llm_unavailable"),
    ],
)
def test_transport_failures_are_unavailable(exc: Exception, code: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    llm, _ = provider(handler)

    with pytest.raises(Unavailable) as caught:
        llm.complete(TURNS)
    assert caught.value.code == code


def test_unreadable_answer_is_an_upstream_error() -> None:
    llm, _ = provider(lambda r: httpx.Response(200, content=b"<html>proxy error</html>"))

    with pytest.raises(UpstreamError) as caught:
        llm.complete(TURNS)
    assert caught.value.code == "llm_bad_response"


def test_reply_without_text_is_an_upstream_error() -> None:
    blocked = {"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {}}
    llm, _ = provider(lambda r: httpx.Response(200, json=blocked))

    with pytest.raises(UpstreamError) as caught:
        llm.complete(TURNS)
    assert caught.value.code == "llm_no_reply"
    assert "SAFETY" in caught.value.message


def test_production_uses_the_regional_endpoint_and_no_placeholder_token() -> None:
    llm, _ = provider(lambda r: httpx.Response(200, json=reply("ok")), vertex_endpoint=None)

    api = llm._get_client()._api_client

    assert api._http_options.base_url == "https://europe-west4-aiplatform.googleapis.com/"
    assert api._credentials is None  # Application Default Credentials, loaded on first call


def test_client_is_built_on_first_use_only() -> None:
    llm, fake = provider(lambda r: httpx.Response(200, json=reply("ok")))

    assert llm._client is None
    llm.complete(TURNS)
    client = llm._client
    llm.complete(TURNS)

    assert client is not None and llm._client is client
    assert len(fake.requests) == 2


def test_endless_stream_is_cut_at_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = itertools.count(0, 10)  # every reading of the adapter's clock is 10 s later
    monkeypatch.setattr(vertex, "time", SimpleNamespace(perf_counter=lambda: next(clock)))
    chunk = reply("tick ")
    llm, _ = provider(lambda r: sse(*[chunk] * 20), llm_timeout_s=25)

    stream = llm.stream(TURNS)

    assert next(stream) == "tick "
    with pytest.raises(Unavailable) as caught:
        list(stream)
    assert caught.value.code == "llm_timeout"
