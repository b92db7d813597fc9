"""OpenAICompatibleProvider against a fake `requests` transport adapter: no sockets.

The fake plays an OpenAI-compatible server (OpenAI, vLLM, Ollama all answer alike)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter

from shared.adapters.llm import build_llm
from shared.adapters.llm.openai_compat import OpenAICompatibleProvider
from shared.adapters.llm.vertex import VertexGeminiProvider
from shared.config import Settings
from shared.domain.errors import Unavailable, UpstreamError
from shared.ports.llm import ChatTurn, Completion

Answer = Callable[[requests.PreparedRequest], requests.Response]


def respond(status: int, body: bytes | dict[str, Any], **headers: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    raw = json.dumps(body).encode() if isinstance(body, dict) else body
    response.raw = io.BytesIO(raw)
    response.headers.update({"Content-Type": "application/json", **headers})
    return response


def sse(*events: dict[str, Any] | str) -> requests.Response:
    lines = [f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n" for e in events]
    return respond(200, "".join(lines).encode(), **{"Content-Type": "text/event-stream"})


class FakeServer(BaseAdapter):
    def __init__(self, answer: Answer) -> None:
        super().__init__()
        self.answer = answer
        self.requests: list[requests.PreparedRequest] = []
        self.kwargs: list[dict[str, Any]] = []

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        self.requests.append(request)
        self.kwargs.append(
            {
                "stream": stream,
                "timeout": timeout,
                "verify": verify,
                "cert": cert,
                "proxies": proxies,
            }
        )
        response = self.answer(request)
        response.request = request
        response.url = request.url or ""
        return response

    def close(self) -> None:
        pass

    @property
    def body(self) -> dict[str, Any]:
        return json.loads(self.requests[-1].body or b"{}")


def provider(answer: Answer, **settings: Any) -> tuple[OpenAICompatibleProvider, FakeServer]:
    fake = FakeServer(answer)
    session = requests.Session()
    session.mount("http://", fake)
    config = Settings(
        llm_provider="openai",
        llm_model="llama3.1:8b",
        openai_base_url=settings.pop("openai_base_url", "http://llm.test:11434/v1/"),
        **settings,
    )
    return OpenAICompatibleProvider.from_settings(config, session=session), fake


def completion(text: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "llama3.1:8b-instruct",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 21, "completion_tokens": 5, "total_tokens": 26},
        **extra,
    }


def chunk(text: str | None = None, usage: dict[str, int] | None = None) -> dict[str, Any]:
    choices = [] if text is None else [{"index": 0, "delta": {"content": text}}]
    event: dict[str, Any] = {"object": "chat.completion.chunk", "model": "m-s", "choices": choices}
    if usage is not None:
        event["usage"] = usage
    return event


TURNS = [
    ChatTurn("user", "Hello"),
    ChatTurn("assistant", "Hi!"),
    ChatTurn("user", "What is a tide?"),
]


def test_complete_posts_chat_completions() -> None:
    llm, fake = provider(lambda r: respond(200, completion("A tide is...")), openai_api_key="sk-1")

    result = llm.complete(TURNS, system="Be brief.")

    request = fake.requests[0]
    assert request.method == "POST"
    assert request.url == "http://llm.test:11434/v1/chat/completions"
    assert request.headers["Authorization"] == "Bearer sk-1"
    assert fake.body["model"] == "llama3.1:8b"
    assert fake.body["stream"] is False
    assert fake.body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": "Hi!"},
        {"role": "user", "content": "What is a tide?"},
    ]
    assert result == Completion(
        text="A tide is...",
        model="llama3.1:8b-instruct",
        input_tokens=21,
        output_tokens=5,
        latency_ms=result.latency_ms,
    )


def test_no_api_key_sends_no_authorization() -> None:
    llm, fake = provider(lambda r: respond(200, completion("ok")))

    llm.complete(TURNS)

    assert "Authorization" not in fake.requests[0].headers


def test_timeouts_bound_connect_and_read() -> None:
    llm, fake = provider(lambda r: respond(200, completion("ok")), llm_timeout_s=4.0)

    llm.complete(TURNS)

    assert fake.kwargs[0]["timeout"] == (4.0, 4.0)


def test_stream_yields_deltas_then_the_completion_with_usage() -> None:
    answer = sse(
        chunk("A tide "),
        chunk("is the sea."),
        chunk(usage={"prompt_tokens": 30, "completion_tokens": 6}),
        "[DONE]",
    )
    llm, fake = provider(lambda r: answer)

    items = list(llm.stream(TURNS))

    assert fake.body["stream"] is True
    assert fake.body["stream_options"] == {"include_usage": True}
    assert fake.kwargs[0]["stream"] is True
    assert items[:2] == ["A tide ", "is the sea."]
    final = items[2]
    assert isinstance(final, Completion)
    assert (final.text, final.input_tokens, final.output_tokens) == ("A tide is the sea.", 30, 6)
    assert final.model == "m-s"
    assert len(items) == 3


def test_stream_without_usage_is_estimated() -> None:
    llm, _ = provider(lambda r: sse(chunk("12345678"), "[DONE]"))

    final = list(llm.stream([ChatTurn("user", "x" * 8)]))[-1]

    assert isinstance(final, Completion)
    assert (final.input_tokens, final.output_tokens) == (2, 2)


def test_rate_limit_is_unavailable_with_retry_after() -> None:
    error = {"error": {"message": "Rate limit reached", "type": "requests"}}
    llm, _ = provider(lambda r: respond(429, error, **{"Retry-After": "7"}))

    with pytest.raises(Unavailable) as caught:
        llm.complete(TURNS)
    assert caught.value.code == "llm_rate_limited"
    assert caught.value.retry_after_s == 7
    assert "Rate limit reached" in caught.value.message


@pytest.mark.parametrize("status", [408, 500, 502, 503])
def test_transient_statuses_are_unavailable(status: int) -> None:
    llm, _ = provider(lambda r: respond(status, b"upstream broke"))

    with pytest.raises(Unavailable) as caught:
        list(llm.stream(TURNS))
    assert caught.value.code == "llm_unavailable"


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_other_client_errors_are_upstream_errors(status: int) -> None:
    error = {"error": {"message": "model 'x' not found", "type": "invalid_request_error"}}
    llm, _ = provider(lambda r: respond(status, error))

    with pytest.raises(UpstreamError) as caught:
        llm.complete(TURNS)
    assert caught.value.code == "llm_rejected"
    assert "model 'x' not found" in caught.value.message


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (requests.ReadTimeout("slow"), "llm_timeout"),
        (requests.ConnectTimeout("slow"), "llm_timeout"),
        (requests.ConnectionError("refused"), "llm_unavailable"),
    ],
)
def test_transport_failures_are_unavailable(exc: Exception, code: str) -> None:
    def answer(request: requests.PreparedRequest) -> requests.Response:
        raise exc

    llm, _ = provider(answer)

    with pytest.raises(Unavailable) as caught:
        llm.complete(TURNS)
    assert caught.value.code == code


def test_unreadable_answer_is_an_upstream_error() -> None:
    llm, _ = provider(lambda r: respond(200, b"<html>proxy</html>"))

    with pytest.raises(UpstreamError) as caught:
        llm.complete(TURNS)
    assert caught.value.code == "llm_bad_response"


def test_unreadable_stream_event_is_an_upstream_error() -> None:
    llm, _ = provider(lambda r: sse(chunk("ok"), "{not json"))

    with pytest.raises(UpstreamError) as caught:
        list(llm.stream(TURNS))
    assert caught.value.code == "llm_bad_response"


@pytest.mark.parametrize(("code", "error"), [(500, Unavailable), (400, UpstreamError)])
def test_error_inside_the_stream_is_mapped(code: int, error: type[Exception]) -> None:
    failure = {"error": {"object": "error", "message": "engine died", "code": code}}
    llm, _ = provider(lambda r: sse(chunk("par"), failure))

    stream = llm.stream(TURNS)
    assert next(stream) == "par"
    with pytest.raises(error):
        next(stream)


def test_empty_reply_is_an_upstream_error() -> None:
    llm, _ = provider(lambda r: respond(200, completion("")))

    with pytest.raises(UpstreamError) as caught:
        llm.complete(TURNS)
    assert caught.value.code == "llm_no_reply"


def test_base_url_is_required() -> None:
    with pytest.raises(ValueError, match="HS_OPENAI_BASE_URL"):
        OpenAICompatibleProvider.from_settings(Settings(llm_provider="openai"))


def test_build_llm_picks_the_configured_provider() -> None:
    assert isinstance(build_llm(Settings()), VertexGeminiProvider)
    openai = build_llm(Settings(llm_provider="openai", openai_base_url="http://x.test/v1"))
    assert isinstance(openai, OpenAICompatibleProvider)
