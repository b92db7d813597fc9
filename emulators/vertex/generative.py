"""A deterministic local stand-in for Gemini's generateContent and streamGenerateContent.

It never pretends to be a real model: every reply starts with "[local model]", quotes the last
user message and carries a fingerprint of the whole request, so the same request always gets
the same reply and different conversations get different ones. Token counts are a simple word
and punctuation count, stable and cheap, not Gemini's tokenizer.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

from emulators.vertex.errors import invalid

LOCAL_MODEL_PREFIX = "[local model]"
_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)
_EXCERPT_CHARS = 200
_STREAM_CHUNKS = 4


def count_tokens(text: str) -> int:
    return len(_TOKEN.findall(text))


def _texts(content: Any) -> list[str]:
    if not isinstance(content, dict):
        raise invalid("each content must be an object with parts")
    parts = content.get("parts")
    if not isinstance(parts, list) or not parts:
        raise invalid("each content must have at least one part")
    texts = []
    for part in parts:
        if not isinstance(part, dict):
            raise invalid("each part must be an object")
        if isinstance(part.get("text"), str):
            texts.append(part["text"])
    return texts


def _request_texts(body: dict[str, Any]) -> tuple[list[tuple[str, str]], list[str]]:
    """(role, text) of every content, and the system instruction's texts."""
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        raise invalid(
            "Unable to submit request because it has an empty contents field; "
            "contents must contain at least one item"
        )
    turns: list[tuple[str, str]] = []
    for content in contents:
        role = content.get("role", "user") if isinstance(content, dict) else "user"
        if role not in ("user", "model", "function"):
            raise invalid(f"Please use a valid role: user, model. Got {role!r}")
        turns.extend((role, text) for text in _texts(content))
    system = body.get("systemInstruction")
    system_texts = _texts(system) if system is not None else []
    return turns, system_texts


def _max_output_tokens(body: dict[str, Any]) -> int | None:
    config = body.get("generationConfig") or {}
    if not isinstance(config, dict):
        raise invalid("generationConfig must be an object")
    value = config.get("maxOutputTokens")
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise invalid("generationConfig.maxOutputTokens must be a positive integer")
    return value


def compose_reply(body: dict[str, Any]) -> tuple[str, str, int]:
    """The reply text, its finish reason and the prompt's token count."""
    turns, system_texts = _request_texts(body)
    user_texts = [text for role, text in turns if role == "user"]
    last = " ".join(user_texts[-1].split()) if user_texts else ""
    excerpt = last if len(last) <= _EXCERPT_CHARS else last[: _EXCERPT_CHARS - 3] + "..."
    canonical = json.dumps([system_texts, turns], ensure_ascii=False, separators=(",", ":"))
    fingerprint = hashlib.sha256(canonical.encode()).hexdigest()[:12]
    reply = (
        f'{LOCAL_MODEL_PREFIX} You said: "{excerpt}". '
        f"This deterministic reply comes from the local Vertex AI emulator, not a real model; "
        f"the conversation has {len(turns)} turn(s) and {count_tokens(last)} token(s) in your "
        f"last message (fingerprint {fingerprint})."
    )
    prompt_tokens = sum(count_tokens(t) for t in system_texts) + sum(
        count_tokens(t) for _, t in turns
    )
    limit = _max_output_tokens(body)
    if limit is not None and count_tokens(reply) > limit:
        return _first_tokens(reply, limit), "MAX_TOKENS", prompt_tokens
    return reply, "STOP", prompt_tokens


def _first_tokens(text: str, limit: int) -> str:
    matches = list(_TOKEN.finditer(text))
    return text[: matches[limit - 1].end()]


def _usage(prompt_tokens: int, candidate_tokens: int) -> dict[str, Any]:
    return {
        "promptTokenCount": prompt_tokens,
        "candidatesTokenCount": candidate_tokens,
        "totalTokenCount": prompt_tokens + candidate_tokens,
        "trafficType": "ON_DEMAND",
    }


def _response_id(model: str, body: dict[str, Any]) -> str:
    digest = hashlib.sha256((model + json.dumps(body, sort_keys=True)).encode()).hexdigest()
    return digest[:22]


def generate(model: str, body: dict[str, Any], create_time: str) -> dict[str, Any]:
    text, finish, prompt_tokens = compose_reply(body)
    return {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": text}]},
                "finishReason": finish,
                "avgLogprobs": 0.0,
            }
        ],
        "usageMetadata": _usage(prompt_tokens, count_tokens(text)),
        "modelVersion": model,
        "createTime": create_time,
        "responseId": _response_id(model, body),
    }


def generate_stream(model: str, body: dict[str, Any], create_time: str) -> Iterator[dict[str, Any]]:
    """The same reply as `generate`, cut into several chunks; usage and finish on the last."""
    text, finish, prompt_tokens = compose_reply(body)
    response_id = _response_id(model, body)
    pieces = _split(text, _STREAM_CHUNKS)
    for i, piece in enumerate(pieces):
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": piece}]}}
        chunk: dict[str, Any] = {
            "candidates": [candidate],
            "modelVersion": model,
            "createTime": create_time,
            "responseId": response_id,
        }
        if i == len(pieces) - 1:
            candidate["finishReason"] = finish
            chunk["usageMetadata"] = _usage(prompt_tokens, count_tokens(text))
        yield chunk


def _split(text: str, parts: int) -> list[str]:
    """Cut at spaces into about `parts` pieces whose concatenation is `text`."""
    size = max(1, -(-len(text) // parts))
    pieces, start = [], 0
    while start < len(text):
        end = min(len(text), start + size)
        space = text.find(" ", end)
        end = len(text) if space == -1 or end == len(text) else space + 1
        pieces.append(text[start:end])
        start = end
    return pieces or [""]


def count_tokens_response(body: dict[str, Any]) -> dict[str, Any]:
    turns, system_texts = _request_texts(body)
    total = sum(count_tokens(t) for t in system_texts) + sum(count_tokens(t) for _, t in turns)
    return {"totalTokens": total, "totalBillableCharacters": sum(len(t) for _, t in turns)}
