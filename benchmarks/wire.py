"""Counting what goes over the wire: gRPC calls (Firestore, Pub/Sub) and HTTP requests
(BigQuery's REST API), so calls per turn and per message are measured, not assumed.

Benchmark tooling only, never product code. `GrpcCounter.install()` wraps the channels the
official clients open for emulator hosts (`grpc.insecure_channel`; `grpc.secure_channel` too, in
case a client version switches) with a client interceptor that counts each RPC by method name
and, for Firestore, the documents it bills: written and deleted documents of a Commit, documents
returned by RunQuery and BatchGetDocuments (a query that returns nothing still bills one read).
`CountingProxy` is a small HTTP reverse proxy that counts requests and their bytes per route.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc

_FIRESTORE = "/google.firestore.v1.Firestore/"


class GrpcCounter:
    """RPCs by method name, plus Firestore's billed document operations."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.documents: Counter[str] = Counter()  # reads, writes, deletes; Pub/Sub volume
        self.seconds: Counter[str] = Counter()  # wall time by method (streams: until their end)
        self.spans: list[tuple[str, float, float]] = []  # (method, start, end) of each call
        self._originals: dict[str, Callable[..., Any]] = {}

    # --- recording -----------------------------------------------------------------------

    def _call(self, method: str) -> None:
        with self._lock:
            self.calls[method] += 1

    def _took(self, method: str, seconds: float) -> None:
        end = time.perf_counter()
        with self._lock:
            self.seconds[method] += seconds  # type: ignore[assignment]  # Counter adds floats too; typeshed types counts as int
            self.spans.append((method, end - seconds, end))

    def _docs(self, kind: str, n: int = 1) -> None:
        with self._lock:
            self.documents[kind] += n

    def _request(self, method: str, request: Any) -> None:
        self._call(method)
        if method == _FIRESTORE + "Commit":
            for write in request.writes:
                self._docs("deletes" if write.delete else "writes")
        elif method == "/google.pubsub.v1.Publisher/Publish":
            # Pub/Sub bills data plus attributes (and more for ordering keys and ids).
            size = sum(
                len(m.data) + sum(len(k) + len(v) for k, v in m.attributes.items())
                for m in request.messages
            )
            self._docs("pubsub_messages", len(request.messages))
            self._docs("pubsub_bytes", size)

    def _response_stream(self, method: str, responses: Any, started: float) -> Any:
        if method == _FIRESTORE + "RunQuery":
            on_item = self._query_results()
        elif method == _FIRESTORE + "BatchGetDocuments":
            # Found or missing, each requested document is a billed read.
            on_item = self._batch_get_result
        else:

            def on_item(response: Any) -> None:
                pass

        def timed(response: Any) -> None:
            on_item(response)
            if response is None:
                self._took(method, time.perf_counter() - started)

        return _CountingStream(responses, timed)

    def _batch_get_result(self, response: Any) -> None:
        if response is not None and (response.found.name or response.missing):
            self._docs("reads")

    def _query_results(self) -> Callable[[Any], None]:
        seen = {"docs": 0}

        def on_item(response: Any) -> None:
            if response is None:  # end of stream
                if seen["docs"] == 0:
                    self._docs("reads")  # Firestore bills one read for an empty result
                return
            if response.document and response.document.name:
                seen["docs"] += 1
                self._docs("reads")

        return on_item

    # --- snapshots -----------------------------------------------------------------------

    def snapshot(self) -> tuple[Counter[str], Counter[str]]:
        with self._lock:
            return Counter(self.calls), Counter(self.documents)

    def spans_since(self, start: float) -> list[tuple[str, float, float]]:
        with self._lock:
            return [span for span in self.spans if span[1] >= start]

    def seconds_snapshot(self) -> Counter[str]:
        with self._lock:
            return Counter(self.seconds)

    def since(self, before: tuple[Counter[str], Counter[str]]) -> tuple[Counter[str], Counter[str]]:
        calls, docs = self.snapshot()
        return calls - before[0], docs - before[1]

    # --- installation --------------------------------------------------------------------

    def install(self) -> None:
        """Wrap every channel opened from now on (clients built earlier are not counted)."""
        for name in ("insecure_channel", "secure_channel"):
            original = getattr(grpc, name)
            self._originals[name] = original

            def wrapped(*args: Any, _original: Any = original, **kwargs: Any) -> grpc.Channel:
                return grpc.intercept_channel(_original(*args, **kwargs), _Interceptor(self))

            setattr(grpc, name, wrapped)

    def uninstall(self) -> None:
        for name, original in self._originals.items():
            setattr(grpc, name, original)
        self._originals.clear()


class _CountingStream:
    """A response iterator that reports each item (and its end) and delegates the rest."""

    def __init__(self, inner: Any, on_item: Callable[[Any], None]) -> None:
        self._inner = inner
        self._on_item = on_item
        self._ended = False

    def __iter__(self) -> _CountingStream:
        return self

    def __next__(self) -> Any:
        try:
            item = next(self._inner)
        except StopIteration:
            if not self._ended:
                self._ended = True
                self._on_item(None)
            raise
        self._on_item(item)
        return item

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _Interceptor(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    def __init__(self, counter: GrpcCounter) -> None:
        self._counter = counter

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        self._counter._request(details.method, request)
        started = time.perf_counter()
        try:
            return continuation(details, request)
        finally:
            self._counter._took(details.method, time.perf_counter() - started)

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        self._counter._request(details.method, request)
        started = time.perf_counter()
        responses = continuation(details, request)
        return self._counter._response_stream(details.method, responses, started)

    def intercept_stream_unary(self, continuation: Any, details: Any, requests: Any) -> Any:
        self._counter._call(details.method)
        return continuation(details, requests)

    def intercept_stream_stream(self, continuation: Any, details: Any, requests: Any) -> Any:
        self._counter._call(details.method)
        return continuation(details, requests)


def round_trips(spans: list[tuple[str, float, float]], service: str = _FIRESTORE) -> int:
    """Sequential round trips: calls to `service` that overlap in time count once."""
    trips, busy_until = 0, float("-inf")
    for _, start, end in sorted(s for s in spans if s[0].startswith(service)):
        if start >= busy_until:
            trips += 1
        busy_until = max(busy_until, end)
    return trips


def short_method(method: str) -> str:
    """'/google.firestore.v1.Firestore/Commit' -> 'Firestore.Commit'."""
    service, _, name = method.strip("/").partition("/")
    return f"{service.rsplit('.', 1)[-1]}.{name}"


# --- HTTP ------------------------------------------------------------------------------------

_ROUTE_IDS = re.compile(r"/(projects|datasets|tables|jobs|queries)/[^/?:]+")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "trailer"}


def route_of(method: str, path: str) -> str:
    """A request's route with ids blanked, e.g. 'POST /bigquery/v2/projects/*/.../insertAll'."""
    return f"{method} {_ROUTE_IDS.sub(lambda m: f'/{m[1]}/*', path.split('?', 1)[0])}"


class CountingProxy:
    """A reverse proxy to one upstream that counts requests and request bytes per route.

    Put between a process and an emulator (by giving the process the proxy's URL), it counts
    what that process sends on the wire, whichever client library sends it."""

    def __init__(self, upstream_host: str, upstream_port: int, host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.request_bytes: Counter[str] = Counter()
        self._server = ThreadingHTTPServer((host, 0), _proxy_handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def record(self, route: str, size: int) -> None:
        with self._lock:
            self.requests[route] += 1
            self.request_bytes[route] += size

    def snapshot(self) -> tuple[Counter[str], Counter[str]]:
        with self._lock:
            return Counter(self.requests), Counter(self.request_bytes)

    def since(self, before: tuple[Counter[str], Counter[str]]) -> tuple[Counter[str], Counter[str]]:
        requests, size = self.snapshot()
        return requests - before[0], size - before[1]

    def start(self) -> CountingProxy:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def _proxy_handler(proxy: CountingProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            proxy.record(route_of(self.command, self.path), length)
            upstream = http.client.HTTPConnection(*proxy.upstream, timeout=120)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                upstream.request(self.command, self.path, body=body, headers=headers)
                response = upstream.getresponse()
                payload = response.read()
            finally:
                upstream.close()
            self.send_response(response.status, response.reason)
            for key, value in response.getheaders():
                if key.lower() not in _HOP_BY_HOP and key.lower() != "content-length":
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def grpc_counting() -> Iterator[GrpcCounter]:
    counter = GrpcCounter()
    counter.install()
    try:
        yield counter
    finally:
        counter.uninstall()
