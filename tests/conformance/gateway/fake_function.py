"""A tiny HTTP server standing in for a function behind the gateway.

It records every request it gets and answers by path: `/v1/chat` streams server-sent events
(the first at once, the rest after `release` is set), `/v1/sessions/slow` answers after 2 s,
`DELETE` answers 204, anything else echoes the request back as JSON with a `Retry-After` header
(to see response headers pass through)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

from tests.support.local_http import LocalHTTPServer


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class FakeFunction(LocalHTTPServer):
    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: list[Seen] = []
        self.stream_done = threading.Event()
        super().__init__(_handler)


def _handler(fake: FakeFunction) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _record(self) -> Seen:
            length = int(self.headers.get("Content-Length") or 0)
            seen = Seen(self.command, self.path, dict(self.headers), self.rfile.read(length))
            fake.seen.append(seen)
            return seen

        def _answer(self) -> None:
            seen = self._record()
            if seen.path == "/v1/chat":
                self._stream()
                return
            if seen.path == "/v1/sessions/slow":
                time.sleep(2)
            if seen.method == "DELETE":
                self.send_response(204)
                self.end_headers()
                return
            payload = {
                "function": fake.name,
                "method": seen.method,
                "path": seen.path,
                "body": seen.body.decode(),
            }
            data = json.dumps(payload).encode()
            self.send_response(201 if seen.method == "POST" else 200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Retry-After", "7")
            self.end_headers()
            self.wfile.write(data)

        def _stream(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                self._chunk(b'event: delta\ndata: {"text": "first"}\n\n')
                fake.release.wait(timeout=10)
                self._chunk(b'event: delta\ndata: {"text": "second"}\n\n')
                self._chunk(b"event: done\ndata: {}\n\n")
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
            fake.stream_done.set()

        def _chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        do_GET = do_POST = do_PATCH = do_DELETE = _answer

    return Handler
