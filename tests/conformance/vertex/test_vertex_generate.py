"""Gemini generateContent / streamGenerateContent through google-genai against the emulator."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from google.genai import errors, types

MODEL = "gemini-3.5-flash"
CONVERSATION = [
    types.Content(role="user", parts=[types.Part(text="What causes tides?")]),
    types.Content(role="model", parts=[types.Part(text="Mostly the Moon.")]),
    types.Content(role="user", parts=[types.Part(text="And the Sun?")]),
]


def test_generate_is_deterministic_local_and_reports_usage(genai_client: Any) -> None:
    first = genai_client.models.generate_content(model=MODEL, contents=CONVERSATION)
    again = genai_client.models.generate_content(model=MODEL, contents=CONVERSATION)
    other = genai_client.models.generate_content(model=MODEL, contents="Something else")

    assert first.text == again.text != other.text
    assert first.text.startswith("[local model]")
    assert "And the Sun?" in first.text
    assert first.candidates[0].finish_reason == types.FinishReason.STOP
    usage = first.usage_metadata
    assert usage.prompt_token_count > 0 and usage.candidates_token_count > 0
    assert usage.total_token_count == usage.prompt_token_count + usage.candidates_token_count
    assert first.model_version == MODEL


def test_system_instruction_counts_in_the_prompt(genai_client: Any) -> None:
    plain = genai_client.models.generate_content(model=MODEL, contents="Hi")
    with_system = genai_client.models.generate_content(
        model=MODEL,
        contents="Hi",
        config=types.GenerateContentConfig(system_instruction="Answer in one short sentence."),
    )

    assert with_system.usage_metadata.prompt_token_count > plain.usage_metadata.prompt_token_count
    assert with_system.text != plain.text


def test_max_output_tokens_cuts_the_reply(genai_client: Any) -> None:
    reply = genai_client.models.generate_content(
        model=MODEL, contents="Hi", config=types.GenerateContentConfig(max_output_tokens=5)
    )

    assert reply.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS
    assert reply.usage_metadata.candidates_token_count == 5


def test_stream_gives_the_same_reply_in_several_chunks(genai_client: Any) -> None:
    whole = genai_client.models.generate_content(model=MODEL, contents=CONVERSATION)

    chunks = list(genai_client.models.generate_content_stream(model=MODEL, contents=CONVERSATION))

    assert len(chunks) >= 3
    assert "".join(c.text for c in chunks) == whole.text
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    assert chunks[-1].usage_metadata.total_token_count == whole.usage_metadata.total_token_count


def test_count_tokens_matches_the_prompt_usage(genai_client: Any) -> None:
    counted = genai_client.models.count_tokens(model=MODEL, contents=CONVERSATION)
    reply = genai_client.models.generate_content(model=MODEL, contents=CONVERSATION)

    assert counted.total_tokens == reply.usage_metadata.prompt_token_count


@pytest.mark.parametrize(
    ("code", "error", "status"),
    [
        (429, errors.ClientError, "RESOURCE_EXHAUSTED"),
        (500, errors.ServerError, "INTERNAL"),
        (503, errors.ServerError, "UNAVAILABLE"),
    ],
)
def test_injected_faults_fail_the_next_calls_only(
    genai_client: Any, admin: Any, code: int, error: type[errors.APIError], status: str
) -> None:
    admin("faults", {"count": 2, "code": code, "scope": "generate"})

    for _ in range(2):
        with pytest.raises(error) as caught:
            genai_client.models.generate_content(model=MODEL, contents="Hi")
        assert caught.value.code == code
        assert caught.value.status == status
    assert genai_client.models.generate_content(model=MODEL, contents="Hi").text


def test_faults_hit_streams_too(genai_client: Any, admin: Any) -> None:
    admin("faults", {"count": 1, "code": 503, "scope": "generate"})

    with pytest.raises(errors.ServerError):
        list(genai_client.models.generate_content_stream(model=MODEL, contents="Hi"))


def test_faults_in_another_scope_do_not_hit_generation(genai_client: Any, admin: Any) -> None:
    admin("faults", {"count": 1, "code": 503, "scope": "embed"})

    assert genai_client.models.generate_content(model=MODEL, contents="Hi").text


def test_failing_model_name_always_fails(genai_client: Any) -> None:
    with pytest.raises(errors.ServerError) as caught:
        genai_client.models.generate_content(model="fail-503", contents="Hi")
    assert caught.value.code == 503


def test_latency_injection_delays_calls(genai_client: Any, admin: Any) -> None:
    admin("latency", {"seconds": 0.4, "scope": "generate"})

    started = time.monotonic()
    genai_client.models.generate_content(model=MODEL, contents="Hi")

    assert time.monotonic() - started >= 0.4


def test_empty_contents_is_invalid_argument(vertex_url: str) -> None:
    url = f"{vertex_url}/v1/projects/p/locations/l/publishers/google/models/{MODEL}:generateContent"

    response = requests.post(url, json={"contents": []}, timeout=5)

    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_unknown_routes_answer_like_google(vertex_url: str) -> None:
    unwritten = requests.post(
        f"{vertex_url}/v1/projects/p/locations/l/publishers/google/models/{MODEL}:computeTokens",
        json={},
        timeout=5,
    )
    unknown = requests.get(f"{vertex_url}/nothing/here", timeout=5)

    assert unwritten.status_code == 501
    assert unwritten.json()["error"]["status"] == "UNIMPLEMENTED"
    assert unknown.status_code == 404
    assert unknown.json()["error"]["status"] == "NOT_FOUND"


def test_client_without_project_and_location_gets_an_explanation(vertex_url: str) -> None:
    from google import genai
    from google.oauth2.credentials import Credentials

    # google-genai then POSTs to the bare base_url, with no model in the path.
    client = genai.Client(
        vertexai=True,
        credentials=Credentials(token="local-emulator"),
        http_options=types.HttpOptions(base_url=vertex_url),
    )

    with pytest.raises(errors.ClientError) as caught:
        client.models.generate_content(model=MODEL, contents="Hi")
    assert caught.value.code == 404
    assert "project and location" in (caught.value.message or "")
