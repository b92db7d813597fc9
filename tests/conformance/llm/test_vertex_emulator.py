"""VertexGeminiProvider through google-genai over real HTTP against the Vertex AI emulator.

The same adapter code as production: only `HS_VERTEX_ENDPOINT` differs. Faults and latency are
injected with the emulator's `/emulator/v1/` hooks."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest
import requests

from emulators.launcher import REPO_ROOT, ManagedProcess, free_port, python_module
from shared.adapters.llm.vertex import VertexGeminiProvider
from shared.config import Settings
from shared.domain.errors import Unavailable, UpstreamError
from shared.ports.llm import ChatTurn, Completion

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("emulators.vertex.__main__") is None,
    reason="the Vertex AI emulator (python -m emulators.vertex) is not in this tree yet",
)

TURNS = [
    ChatTurn("user", "What causes tides?"),
    ChatTurn("assistant", "Mostly the Moon."),
    ChatTurn("user", "And the Sun?"),
]


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    port = free_port()
    log_dir = REPO_ROOT / "build" / "test-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    proc = ManagedProcess(
        name="vertex",
        argv=python_module(
            "emulators.vertex", "--host", "127.0.0.1", "--port", str(port), "--no-preload"
        ),
        host="127.0.0.1",
        port=port,
        log_path=log_dir / f"vertex-llm-{port}.log",
    )
    with proc:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def base_url(emulator: str) -> Iterator[str]:
    yield emulator
    requests.delete(f"{emulator}/emulator/v1/faults", timeout=5).raise_for_status()
    requests.post(
        f"{emulator}/emulator/v1/latency", json={"seconds": 0, "scope": "all"}, timeout=5
    ).raise_for_status()


def provider(base_url: str, timeout_s: float = 10.0) -> VertexGeminiProvider:
    settings = Settings(
        vertex_endpoint=base_url, llm_model="gemini-3.5-flash", llm_timeout_s=timeout_s
    )
    return VertexGeminiProvider.from_settings(settings)


def fail_next(base_url: str, code: int, count: int = 1) -> None:
    requests.post(
        f"{base_url}/emulator/v1/faults",
        json={"count": count, "code": code, "scope": "generate"},
        timeout=5,
    ).raise_for_status()


def test_complete_is_deterministic_and_says_it_is_local(base_url: str) -> None:
    llm = provider(base_url)

    first = llm.complete(TURNS, system="Be brief.")
    again = llm.complete(TURNS, system="Be brief.")
    other = llm.complete(TURNS[:1], system="Be brief.")

    assert first.text == again.text != other.text
    assert "local" in first.text.lower()
    assert "And the Sun?" in first.text
    assert first.input_tokens > 0 and first.output_tokens > 0
    assert first.model.startswith("gemini-3.5-flash")


def test_stream_gives_the_same_reply_in_pieces(base_url: str) -> None:
    llm = provider(base_url)

    items = list(llm.stream(TURNS, system="Be brief."))

    deltas, final = items[:-1], items[-1]
    assert len(deltas) > 1
    assert all(isinstance(d, str) for d in deltas)
    assert isinstance(final, Completion)
    assert "".join(str(d) for d in deltas) == final.text
    assert final.text == llm.complete(TURNS, system="Be brief.").text
    assert final.output_tokens > 0


@pytest.mark.parametrize("code", [429, 500, 503])
def test_transient_faults_are_unavailable(base_url: str, code: int) -> None:
    fail_next(base_url, code)

    with pytest.raises(Unavailable):
        provider(base_url).complete(TURNS)


def test_stream_faults_are_unavailable(base_url: str) -> None:
    fail_next(base_url, 503)

    with pytest.raises(Unavailable):
        list(provider(base_url).stream(TURNS))


def test_invalid_argument_is_an_upstream_error(base_url: str) -> None:
    fail_next(base_url, 400)

    with pytest.raises(UpstreamError) as caught:
        provider(base_url).complete(TURNS)
    assert caught.value.code == "llm_rejected"


def test_slow_model_times_out(base_url: str) -> None:
    requests.post(
        f"{base_url}/emulator/v1/latency", json={"seconds": 2, "scope": "generate"}, timeout=5
    ).raise_for_status()

    with pytest.raises(Unavailable) as caught:
        provider(base_url, timeout_s=0.5).complete(TURNS)
    assert caught.value.code == "llm_timeout"


def test_emulator_down_is_unavailable() -> None:
    with pytest.raises(Unavailable):
        provider(f"http://127.0.0.1:{free_port()}").complete(TURNS)
