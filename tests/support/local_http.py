"""A threaded HTTP server on a free loopback port, run for the length of a `with` block.

Fakes of HTTP peers (a function behind the gateway, an OpenAI-compatible model) subclass it and
give their request handler; `release` lets a test hold a handler mid-answer (a stream's rest).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class LocalHTTPServer:
    def __init__(self, handler: Callable[[Self], type[BaseHTTPRequestHandler]]) -> None:
        self.release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()  # let held handlers finish so shutdown does not wait on them
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
