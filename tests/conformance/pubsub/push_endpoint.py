"""A tiny local HTTP endpoint for push subscriptions: scripted answers, recorded requests.

    with PushEndpoint(statuses=[500, 500]) as ep:    # fail twice, then the default (204)
        ... create a push subscription to ep.url("/push") ...
        ep.wait_for(3)                                # the recorded requests

Bound to 127.0.0.1 on a free port, stopped by the test (context manager).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    status: int

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class PushEndpoint:
    statuses: Iterable[int] = ()
    default_status: int = 204
    delay_s: float = 0.0
    delays: Iterable[float] = ()  # per request, before delay_s applies
    received: list[Received] = field(default_factory=list)
    max_in_flight: int = 0

    def __post_init__(self) -> None:
        self._script = deque(self.statuses)
        self._delays = deque(self.delays)
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._in_flight = 0
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with endpoint._lock:
                    endpoint._in_flight += 1
                    endpoint.max_in_flight = max(endpoint.max_in_flight, endpoint._in_flight)
                    status = endpoint._script.popleft() if endpoint._script else None
                    delay = endpoint._delays.popleft() if endpoint._delays else endpoint.delay_s
                if delay:
                    time.sleep(delay)
                status = status or endpoint.default_status
                with endpoint._cond:
                    endpoint._in_flight -= 1
                    endpoint.received.append(
                        Received(
                            path=self.path,
                            headers={k.lower(): v for k, v in self.headers.items()},
                            body=body,
                            at=time.monotonic(),
                            status=status,
                        )
                    )
                    endpoint._cond.notify_all()
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "/push") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_for(self, n: int, timeout: float = 10.0) -> list[Received]:
        """The first n requests, waiting up to timeout for them; fails the test otherwise."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.received) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"expected {n} push requests, got {len(self.received)} in {timeout}s"
                    )
                self._cond.wait(left)
            return list(self.received[:n])

    def wait_in_flight(self, n: int = 1, timeout: float = 10.0) -> None:
        """Until n requests are being answered (inside the delay) at the same time."""
        deadline = time.monotonic() + timeout
        while self._in_flight < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {n} push request(s) in flight")
            time.sleep(0.01)

    def start(self) -> PushEndpoint:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> PushEndpoint:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
