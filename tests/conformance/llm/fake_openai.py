"""A small OpenAI-compatible server over real HTTP, scripted by the request's model name.

`ok` answers; `stream-gated` sends its first event, then waits for `release` before the rest;
`slow` answers after 2 s; `drip` streams an event every 0.1 s (at most 100); `status-NNN` answers
that status with OpenAI's error body. Chunked transfer encoding, as vLLM and Ollama send it.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.local_http import LocalHTTPServer

REPLY = "Tides are the rise and fall of the sea."


class FakeOpenAI(LocalHTTPServer):
    def __init__(self) -> None:
        self.stream_finished = threading.Event()
        self.requests: list[tuple[dict[str, str], dict[str, Any]]] = []
        super().__init__(_handler)

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"


def _handler(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            if self.path != "/v1/chat/completions":
                self._json(404, {"error": {"message": f"no route {self.path}"}})
                return
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            fake.requests.append((dict(self.headers), body))
            model = body["model"]
            try:
                if model.startswith("status-"):
                    status = int(model.removeprefix("status-"))
                    headers = {"Retry-After": "3"} if status == 429 else {}
                    self._json(status, {"error": {"message": f"scripted {status}"}}, headers)
                elif model == "slow":
                    time.sleep(2)
                    self._json(200, _completion(model))
                elif body.get("stream"):
                    self._stream(model, body)
                else:
                    self._json(200, _completion(model))
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up first, as the timeout tests intend

        def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _chunk(self, data: str) -> None:
            raw = data.encode()
            self.wfile.write(f"{len(raw):x}\r\n".encode() + raw + b"\r\n")
            self.wfile.flush()

        def _event(self, payload: Any) -> None:
            self._chunk(f"data: {payload if isinstance(payload, str) else json.dumps(payload)}\n\n")

        def _stream(self, model: str, body: dict[str, Any]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            words = REPLY.split(" ")
            if model == "drip":
                for _ in range(100):
                    self._event(_delta(model, "tick "))
                    time.sleep(0.1)
            else:
                self._event(_delta(model, words[0] + " "))
                if model == "stream-gated":
                    fake.release.wait(timeout=10)
                for i, word in enumerate(words[1:], start=1):
                    self._event(_delta(model, word + (" " if i < len(words) - 1 else "")))
                if (body.get("stream_options") or {}).get("include_usage"):
                    usage = {"prompt_tokens": 17, "completion_tokens": len(words)}
                    self._event({"model": model, "choices": [], "usage": usage})
                self._event("[DONE]")
            fake.stream_finished.set()
            self.wfile.write(b"0\r\n\r\n")

    return Handler


def _completion(model: str) -> dict[str, Any]:
    return {
        "object": "chat.completion",
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": REPLY}}],
        "usage": {"prompt_tokens": 17, "completion_tokens": 8},
    }


def _delta(model: str, text: str) -> dict[str, Any]:
    return {"model": model, "choices": [{"index": 0, "delta": {"content": text}}]}
