"""Any OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama, LiteLLM, ...): the other provider.

Plain HTTP with `requests` against `{base_url}/chat/completions`, so no vendor SDK is needed and
every server that speaks the wire format works. Streaming uses server-sent events with
`stream_options.include_usage` so the last event carries token counts; servers that ignore the
option still work, their counts are estimated.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from typing import Any

import requests

from shared.adapters.llm._common import parse_retry_after, split_system
from shared.config import Settings
from shared.domain.errors import HybridSessionsError, Unavailable, UpstreamError
from shared.ports.llm import ChatTurn, Completion, LLMProvider

# Statuses besides 5xx that a retry may cure: request timeout, rate limit.
_TRANSIENT = {408, 429}
_CONNECT_TIMEOUT_S = 10.0


class OpenAICompatibleProvider(LLMProvider):
    """`LLMProvider` over the OpenAI chat-completions wire format."""

    def __init__(
        self,
        session: requests.Session,
        *,
        base_url: str,
        model: str,
        timeout_s: float,
        api_key: str | None = None,
    ) -> None:
        self.model = model
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._timeout_s = timeout_s
        self._headers = {"Content-Type": "application/json"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._session = session

    @classmethod
    def from_settings(
        cls, settings: Settings, *, session: requests.Session | None = None
    ) -> OpenAICompatibleProvider:
        if not settings.openai_base_url:
            raise ValueError("HS_OPENAI_BASE_URL must be set when HS_LLM_PROVIDER=openai")
        return cls(
            session or requests.Session(),
            base_url=settings.openai_base_url,
            model=settings.llm_model,
            timeout_s=settings.llm_timeout_s,
            api_key=settings.openai_api_key,
        )

    def complete(self, turns: Sequence[ChatTurn], *, system: str | None = None) -> Completion:
        started = time.perf_counter()
        body = self._post(turns, system, stream=False)
        try:
            with body:
                payload = body.json()
            choice = payload["choices"][0]
            text = choice["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise UpstreamError(
                f"Unreadable answer from {self._url}: {exc!r}", code="llm_bad_response"
            ) from exc
        except requests.RequestException as exc:
            raise _from_requests(exc, self._url) from exc
        if not text:
            raise UpstreamError(
                f"The model returned no text (finish reason {choice.get('finish_reason')})",
                code="llm_no_reply",
            )
        return self._completion(text, payload, started, turns, system)

    def stream(
        self, turns: Sequence[ChatTurn], *, system: str | None = None
    ) -> Iterator[str | Completion]:
        started = time.perf_counter()
        deadline = started + self._timeout_s
        response = self._post(turns, system, stream=True)
        pieces: list[str] = []
        last: dict[str, Any] = {}
        usage: dict[str, Any] | None = None
        with response:
            try:
                for event in _sse_events(response):
                    if event == "[DONE]":
                        break
                    chunk = _parse_event(event, self._url)
                    last = chunk
                    usage = chunk.get("usage") or usage
                    for choice in chunk.get("choices") or []:
                        delta = (choice.get("delta") or {}).get("content")
                        if delta:
                            pieces.append(delta)
                            yield delta
                    # requests' read timeout bounds each read, not the whole reply: a server
                    # dripping tokens forever must still end within llm_timeout_s.
                    if time.perf_counter() > deadline:
                        raise Unavailable(
                            f"{self._url} streamed for longer than {self._timeout_s:.0f}s",
                            code="llm_timeout",
                        )
            except requests.RequestException as exc:
                raise _from_requests(exc, self._url) from exc
        if not pieces:
            raise UpstreamError("The model streamed no text", code="llm_no_reply")
        if usage is not None:
            last = {**last, "usage": usage}
        yield self._completion("".join(pieces), last, started, turns, system)

    # --- helpers ------------------------------------------------------------------------

    def _post(
        self, turns: Sequence[ChatTurn], system: str | None, *, stream: bool
    ) -> requests.Response:
        instruction, dialogue = split_system(turns, system)
        messages = [{"role": "system", "content": instruction}] if instruction else []
        messages += [{"role": t.role, "content": t.content} for t in dialogue]
        body: dict[str, Any] = {"model": self.model, "messages": messages, "stream": stream}
        if stream:
            body["stream_options"] = {"include_usage": True}
        try:
            response = self._session.post(
                self._url,
                data=json.dumps(body),
                headers=self._headers,
                timeout=(min(_CONNECT_TIMEOUT_S, self._timeout_s), self._timeout_s),
                stream=stream,
            )
        except requests.RequestException as exc:
            raise _from_requests(exc, self._url) from exc
        if response.status_code >= 400:
            with response:
                raise _from_status(response, self._url)
        return response

    def _completion(
        self,
        text: str,
        payload: dict[str, Any],
        started: float,
        turns: Sequence[ChatTurn],
        system: str | None,
    ) -> Completion:
        usage = payload.get("usage") or {}
        prompt = usage.get("prompt_tokens")
        if not isinstance(prompt, int):
            prompt = sum(self.estimate_tokens(t.content) for t in turns)
            prompt += self.estimate_tokens(system) if system else 0
        output = usage.get("completion_tokens")
        if not isinstance(output, int):
            output = self.estimate_tokens(text)
        return Completion(
            text=text,
            model=payload.get("model") or self.model,
            input_tokens=prompt,
            output_tokens=output,
            latency_ms=(time.perf_counter() - started) * 1000.0,
        )


def _sse_events(response: requests.Response) -> Iterator[str]:
    """The `data` of each server-sent event (multi-line data joined with newlines)."""
    data: list[str] = []
    for raw in response.iter_lines(chunk_size=1024):
        line = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        if not line:
            if data:
                yield "\n".join(data)
                data = []
            continue
        if line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
        # Comments (":"), "event:", "id:" and "retry:" lines carry nothing we use.
    if data:
        yield "\n".join(data)


def _parse_event(event: str, url: str) -> dict[str, Any]:
    try:
        chunk = json.loads(event)
    except ValueError as exc:
        raise UpstreamError(
            f"Unreadable event from {url}: {event[:200]!r}", code="llm_bad_response"
        ) from exc
    if not isinstance(chunk, dict):
        raise UpstreamError(
            f"Unreadable event from {url}: {event[:200]!r}", code="llm_bad_response"
        )
    if "error" in chunk:
        # vLLM and others report failures inside the stream once the 200 is sent.
        error = chunk["error"] if isinstance(chunk["error"], dict) else {"message": chunk["error"]}
        status = error.get("code")
        message = f"{url} failed mid-stream: {error.get('message')}"
        if isinstance(status, int) and (status >= 500 or status in _TRANSIENT):
            raise Unavailable(message, code="llm_unavailable")
        raise UpstreamError(message, code="llm_rejected")
    return chunk


def _from_status(response: requests.Response, url: str) -> HybridSessionsError:
    status = response.status_code
    try:
        error = response.json().get("error")
        detail = error.get("message") if isinstance(error, dict) else error
    except (ValueError, AttributeError):
        detail = response.text[:500]
    message = f"{url} answered {status}: {detail}"
    if status == 429:
        return Unavailable(
            message,
            code="llm_rate_limited",
            retry_after_s=parse_retry_after(response.headers.get("Retry-After")),
        )
    if status >= 500 or status in _TRANSIENT:
        return Unavailable(message, code="llm_unavailable")
    return UpstreamError(message, code="llm_rejected", status=status)


def _from_requests(exc: requests.RequestException, url: str) -> HybridSessionsError:
    if isinstance(exc, requests.Timeout):
        return Unavailable(f"{url} did not answer in time: {exc!r}", code="llm_timeout")
    if isinstance(exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
        return Unavailable(f"{url} could not be reached: {exc!r}", code="llm_unavailable")
    # InvalidURL, MissingSchema, ...: configuration, which no retry fixes.
    return UpstreamError(f"Request to {url} failed: {exc!r}", code="llm_error")
