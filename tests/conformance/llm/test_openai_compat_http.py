"""OpenAICompatibleProvider over real HTTP against a scripted OpenAI-compatible server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulators.launcher import free_port
from shared.adapters.llm.openai_compat import OpenAICompatibleProvider
from shared.config import Settings
from shared.domain.errors import Unavailable, UpstreamError
from shared.ports.llm import ChatTurn, Completion
from tests.conformance.llm.fake_openai import REPLY, FakeOpenAI

TURNS = [ChatTurn("user", "What are tides?")]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


def provider(base_url: str, model: str, timeout_s: float = 5.0) -> OpenAICompatibleProvider:
    settings = Settings(
        llm_provider="openai",
        llm_model=model,
        openai_base_url=base_url,
        openai_api_key="sk-test",
        llm_timeout_s=timeout_s,
    )
    return OpenAICompatibleProvider.from_settings(settings)


def test_complete(server: FakeOpenAI) -> None:
    result = provider(server.base_url, "ok").complete(TURNS, system="Be brief.")

    assert result.text == REPLY
    assert (result.input_tokens, result.output_tokens) == (17, 8)
    headers, body = server.requests[-1]
    assert headers["Authorization"] == "Bearer sk-test"
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}


def test_stream_delivers_deltas_as_they_arrive(server: FakeOpenAI) -> None:
    server.release.clear()
    server.stream_finished.clear()
    stream = provider(server.base_url, "stream-gated").stream(TURNS)

    first = next(stream)

    # The server is holding the rest until released: the first delta came through alone.
    assert first == "Tides "
    assert not server.stream_finished.is_set()
    server.release.set()
    rest = list(stream)
    final = rest[-1]
    assert isinstance(final, Completion)
    assert first + "".join(str(d) for d in rest[:-1]) == REPLY == final.text
    assert (final.input_tokens, final.output_tokens) == (17, len(REPLY.split()))


@pytest.mark.parametrize("status", [429, 500, 503])
def test_transient_statuses_are_unavailable(server: FakeOpenAI, status: int) -> None:
    with pytest.raises(Unavailable) as caught:
        provider(server.base_url, f"status-{status}").complete(TURNS)
    assert f"scripted {status}" in caught.value.message
    if status == 429:
        assert caught.value.retry_after_s == 3


@pytest.mark.parametrize("status", [400, 404])
def test_client_errors_are_upstream_errors(server: FakeOpenAI, status: int) -> None:
    with pytest.raises(UpstreamError):
        list(provider(server.base_url, f"status-{status}").stream(TURNS))


def test_slow_server_times_out(server: FakeOpenAI) -> None:
    with pytest.raises(Unavailable) as caught:
        provider(server.base_url, "slow", timeout_s=0.3).complete(TURNS)
    assert caught.value.code == "llm_timeout"


def test_endless_stream_is_cut_at_the_deadline(server: FakeOpenAI) -> None:
    stream = provider(server.base_url, "drip", timeout_s=0.5).stream(TURNS)

    with pytest.raises(Unavailable) as caught:
        for _ in stream:
            pass
    assert caught.value.code == "llm_timeout"


def test_nobody_listening_is_unavailable() -> None:
    base_url = f"http://127.0.0.1:{free_port()}/v1"

    with pytest.raises(Unavailable) as caught:
        provider(base_url, "ok").complete(TURNS)
    assert caught.value.code == "llm_unavailable"
