"""Gemini on Vertex AI through google-genai (`vertexai=True`): the default LLM provider.

Locally `settings.vertex_endpoint` points the same client at the Vertex AI emulator; nothing else
changes, so the code path tested locally is the production one. The SDK retries nothing unless
told to (its default `retry_options` is one attempt), and we keep it so: the chat service maps
`Unavailable` to a 503 that the caller retries with its idempotency key, which is cheaper than a
hidden retry inside a request whose deadline is already running.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from shared.adapters.llm._common import parse_retry_after, split_system
from shared.config import Settings
from shared.domain.errors import HybridSessionsError, Unavailable, UpstreamError
from shared.ports.llm import ChatTurn, Completion, LLMProvider

if TYPE_CHECKING:
    import httpx
    from google import genai
    from google.genai import types

# The emulator checks no token, but google-genai refuses to send a request without one when a
# project and location are set (and without them it drops the resource path), so a fixed
# placeholder token stands in for credentials there.
_EMULATOR_TOKEN = "local-emulator"


class VertexGeminiProvider(LLMProvider):
    """`LLMProvider` over `models.generate_content` / `generate_content_stream`."""

    def __init__(self, client: Callable[[], genai.Client], *, model: str, timeout_s: float) -> None:
        """`client` builds the SDK client, called once on first use (or by `warm`): importing
        google.genai costs ~0.4 s, which a cold start should not pay before the first chat."""
        self.model = model
        self._timeout_s = timeout_s
        self._build_client = client
        self._client: genai.Client | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(
        cls, settings: Settings, *, httpx_client: httpx.Client | None = None
    ) -> VertexGeminiProvider:
        """Tests pass an httpx client with a mock transport; production lets the SDK build
        its own."""
        return cls(
            functools.partial(_build_client, settings, httpx_client),
            model=settings.llm_model,
            timeout_s=settings.llm_timeout_s,
        )

    def complete(self, turns: Sequence[ChatTurn], *, system: str | None = None) -> Completion:
        client = self._get_client()
        contents, config = self._request(turns, system)
        started = time.perf_counter()
        try:
            response = client.models.generate_content(
                model=self.model, contents=contents, config=config
            )
        except _failures() as exc:
            raise _translate(exc) from exc
        text = response.text
        if text is None:
            raise _no_text(response)
        return self._completion(text, response, started, turns, system)

    def stream(
        self, turns: Sequence[ChatTurn], *, system: str | None = None
    ) -> Iterator[str | Completion]:
        client = self._get_client()
        contents, config = self._request(turns, system)
        started = time.perf_counter()
        pieces: list[str] = []
        last: Any = None
        usage: Any = None
        try:
            for chunk in client.models.generate_content_stream(
                model=self.model, contents=contents, config=config
            ):
                last = chunk
                if chunk.usage_metadata is not None:
                    usage = chunk.usage_metadata
                delta = chunk.text
                if delta:
                    pieces.append(delta)
                    yield delta
                # The SDK's timeout bounds each read, not the whole reply: a stream dripping
                # tokens forever must still end within llm_timeout_s.
                if time.perf_counter() - started > self._timeout_s:
                    raise Unavailable(
                        f"Vertex AI streamed for longer than {self._timeout_s:g}s",
                        code="llm_timeout",
                    )
        except _failures() as exc:
            raise _translate(exc) from exc
        if not pieces:
            raise _no_text(last)
        yield self._completion("".join(pieces), last, started, turns, system, usage=usage)

    def warm(self) -> None:
        """Build the SDK client now (`shared.bootstrap.warm_up`), not on the first chat."""
        self._get_client()

    # --- helpers ------------------------------------------------------------------------

    def _get_client(self) -> genai.Client:
        with self._lock:
            if self._client is None:
                self._client = self._build_client()
            return self._client

    def _request(
        self, turns: Sequence[ChatTurn], system: str | None
    ) -> tuple[list[types.Content], types.GenerateContentConfig]:
        from google.genai import types

        instruction, dialogue = split_system(turns, system)
        contents = [
            types.Content(
                role="model" if t.role == "assistant" else "user",
                parts=[types.Part(text=t.content)],
            )
            for t in dialogue
        ]
        return contents, types.GenerateContentConfig(system_instruction=instruction)

    def _completion(
        self,
        text: str,
        response: Any,
        started: float,
        turns: Sequence[ChatTurn],
        system: str | None,
        *,
        usage: Any = None,
    ) -> Completion:
        usage = usage if usage is not None else getattr(response, "usage_metadata", None)
        prompt = getattr(usage, "prompt_token_count", None)
        # Thinking tokens are billed as output, so they count as output here too.
        output = (getattr(usage, "candidates_token_count", None) or 0) + (
            getattr(usage, "thoughts_token_count", None) or 0
        )
        if prompt is None:
            prompt = sum(self.estimate_tokens(t.content) for t in turns)
            prompt += self.estimate_tokens(system) if system else 0
        return Completion(
            text=text,
            model=getattr(response, "model_version", None) or self.model,
            input_tokens=prompt,
            output_tokens=output or self.estimate_tokens(text),
            latency_ms=(time.perf_counter() - started) * 1000.0,
        )


def _no_text(response: Any) -> UpstreamError:
    """A reply without text: blocked by safety filters, or cut before any text."""
    reason = None
    candidates = getattr(response, "candidates", None)
    if candidates:
        reason = getattr(candidates[0], "finish_reason", None)
    feedback = getattr(response, "prompt_feedback", None)
    blocked = getattr(feedback, "block_reason", None)
    return UpstreamError(
        "The model returned no text"
        + (f" (finish reason {reason})" if reason else "")
        + (f" (prompt blocked: {blocked})" if blocked else ""),
        code="llm_no_reply",
    )


@functools.cache
def _failures() -> tuple[type[Exception], ...]:
    """What a call can fail with: the SDK's API errors, transport errors, credential errors, and
    ValueError for answers that do not parse (bad JSON, pydantic validation). Evaluated only when
    an exception reaches the `except`, so the imports stay lazy. Programming errors (TypeError,
    AttributeError) are left to surface as bugs."""
    import httpx
    from google.auth import exceptions as auth_errors
    from google.genai import errors as genai_errors

    return (genai_errors.APIError, httpx.HTTPError, auth_errors.GoogleAuthError, ValueError)


def _translate(exc: Exception) -> HybridSessionsError:
    """Map what google-genai, httpx and google-auth raise to the port's two errors."""
    import httpx
    from google.auth import exceptions as auth_errors
    from google.genai import errors as genai_errors

    if isinstance(exc, genai_errors.APIError):
        code = exc.code
        message = f"Vertex AI answered {code} {exc.status or ''}: {exc.message or ''}".strip()
        if code == 429:
            headers = getattr(exc.response, "headers", None) or {}
            return Unavailable(
                message,
                code="llm_rate_limited",
                retry_after_s=parse_retry_after(headers.get("retry-after")),
            )
        if code == 408 or isinstance(exc, genai_errors.ServerError):
            return Unavailable(message, code="llm_unavailable")
        return UpstreamError(message, code="llm_rejected", status=code)
    if isinstance(exc, httpx.TimeoutException):
        return Unavailable(f"Vertex AI did not answer in time: {exc!r}", code="llm_timeout")
    if isinstance(exc, httpx.HTTPError):
        return Unavailable(f"Vertex AI could not be reached: {exc!r}", code="llm_unavailable")
    if isinstance(exc, auth_errors.TransportError):
        return Unavailable(f"Credentials could not be refreshed: {exc!r}", code="llm_unavailable")
    if isinstance(exc, auth_errors.GoogleAuthError):
        return UpstreamError(f"Vertex AI credentials were refused: {exc!r}", code="llm_auth")
    # Anything else is an answer we could not read (bad JSON, a schema the SDK rejects).
    return UpstreamError(f"Unreadable answer from Vertex AI: {exc!r}", code="llm_bad_response")


def _build_client(settings: Settings, httpx_client: httpx.Client | None) -> genai.Client:
    from google import genai
    from google.genai import types

    s = settings
    options = types.HttpOptions(timeout=int(s.llm_timeout_s * 1000))
    credentials = None
    if s.vertex_endpoint:
        from google.oauth2.credentials import Credentials

        options.base_url = s.vertex_endpoint
        credentials = Credentials(token=_EMULATOR_TOKEN)
    if httpx_client is not None:
        options.httpx_client = httpx_client
    return genai.Client(
        vertexai=True,
        project=s.project,
        location=s.vertex_location,
        credentials=credentials,
        http_options=options,
    )
