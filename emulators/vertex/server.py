"""Local emulator for the Vertex AI parts hybrid-sessions uses, over HTTP/1.1 + JSON (REST).

Serves, on one port:
- Gemini `generateContent`, `streamGenerateContent` (SSE) and `countTokens`, answered by a
  deterministic local model that says it is one (`generative.py`);
- text embeddings, `:predict` and `:embedContent`, answered with real all-MiniLM-L6-v2 vectors
  (`embeddings.py`, `minilm.py`);
- Vector Search with the paths and JSON mapping of aiplatform_v1's REST transport
  (`vector_routes.py`): datapoint upsert/remove, FindNeighbors, ReadIndexDatapoints, and the
  index and endpoint resources (`vector_search.py`, `vector_admin.py`);
- test hooks under `/emulator/v1/` (faults, latency, reset, config, stats), mirrored by methods
  on `Server` for in-process use.

Shaped like Go's pstest: all state behind one lock, errors with Google's codes and JSON body,
test hooks on the server rather than in the RPCs, unknown routes 404 and known-but-unwritten
Vertex RPCs 501 UNIMPLEMENTED.

What it does not mimic:
- authentication and IAM (any or no Authorization header is accepted), quotas, regions and
  the separate public-endpoint host of a deployed index (everything is on this one address);
- operation timing: long-running operations (CreateIndex, DeployIndex...) are done at once;
- Gemini itself (replies are canned and deterministic), its tokenizer (token counts are word
  and punctuation counts), safety ratings, tools, multimodal parts;
- embedding sizes other than 384 and task-type-specific vectors (see `embeddings.py`);
- approximate search, sparse and hybrid vectors, index compaction and update latency: writes
  are visible to the next query.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from google.protobuf import json_format

from emulators.vertex import embeddings, generative, vector_admin, vector_routes, vector_search
from emulators.vertex.errors import ApiError, invalid, not_found, unimplemented
from emulators.vertex.minilm import get_model, limit_blas_threads

SCOPES = ("all", "generate", "embed", "vector")
_MODEL_ROUTE = re.compile(
    r"^/(?P<version>v1|v1beta1)/(?:projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/)?"
    r"publishers/(?P<publisher>[^/]+)/models/(?P<model>[^/:]+):(?P<method>[A-Za-z]+)$"
)
# Other Vertex resources a client might reach for: known to exist, not written here.
_VERTEX_RESOURCE = re.compile(r"^/(v1|v1beta1)/projects/[^/]+/locations/[^/]+(/.*)?$")
_GENERATE_METHODS = ("generateContent", "streamGenerateContent", "countTokens")
_EMBED_METHODS = ("predict", "embedContent")


@dataclass
class _Fault:
    remaining: int | None  # None: until cleared
    code: int
    scope: str
    message: str


class Server:
    """The emulator, in-process: `Server(port=0).start()`, then `base_url`, then `stop()`."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        config: dict[str, Any] | None = None,
        preload_model: bool = True,
    ) -> None:
        limit_blas_threads()
        self._lock = threading.Lock()
        self._config = config or {}
        self._vector = self._fresh_vector_search()
        self._operations = vector_admin.Operations()
        self._faults: list[_Fault] = []
        self._latency: dict[str, float] = {}
        self._calls: Counter[str] = Counter()
        self._preload = preload_model
        self._httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    def _fresh_vector_search(self) -> vector_search.VectorSearch:
        state = vector_search.VectorSearch()
        state.apply_config(self._config)
        return state

    @property
    def address(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"{host!s}:{port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.address}"

    def start(self) -> Server:
        if self._preload:
            # Load the embedding model off the request path so the first embed call is fast.
            threading.Thread(target=get_model, name="minilm-load", daemon=True).start()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="vertex-emulator", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        if self._preload:
            get_model()
        self._httpd.serve_forever()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            # shutdown() waits for serve_forever to notice: only ask a running loop.
            self._httpd.shutdown()
            thread.join(timeout=5)
        self._httpd.server_close()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- test hooks ---------------------------------------------------------------------

    def fail_next(
        self, count: int | None, code: int = 503, scope: str = "all", message: str | None = None
    ) -> None:
        """Make the next `count` calls in `scope` fail with HTTP `code` (Google's error body).

        `count=None` fails every call until `clear_faults()`: a service down for a while.
        """
        if count is not None and (not isinstance(count, int) or count < 1):
            raise invalid("count must be a positive integer, or null for until cleared")
        if code not in (400, 403, 404, 408, 429, 500, 502, 503, 504):
            raise invalid("code must be one of 400, 403, 404, 408, 429, 500, 502, 503, 504")
        if scope not in SCOPES:
            raise invalid(f"scope must be one of {SCOPES}")
        with self._lock:
            self._faults.append(
                _Fault(count, code, scope, message or f"injected fault ({code}) by the emulator")
            )

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def set_latency(self, seconds: float, scope: str = "all") -> None:
        """Delay every call in `scope` by `seconds` (0 removes the delay)."""
        if not isinstance(seconds, int | float) or not 0 <= seconds <= 60:
            raise invalid("seconds must be a number within [0, 60]")
        if scope not in SCOPES:
            raise invalid(f"scope must be one of {SCOPES}")
        with self._lock:
            self._latency[scope] = float(seconds)

    def reset(self) -> None:
        """Back to the start-up state: configured indexes, empty, no faults, no latency."""
        with self._lock:
            self._vector = self._fresh_vector_search()
            self._operations = vector_admin.Operations()
            self._faults.clear()
            self._latency.clear()
            self._calls.clear()

    def apply_config(self, config: dict[str, Any]) -> None:
        """Declare more indexes and endpoints (the JSON shape README.md documents)."""
        with self._lock:
            self._vector.apply_config(config)

    def stats(self) -> dict[str, int]:
        """How many calls each RPC has received since start or reset."""
        with self._lock:
            return dict(self._calls)

    def _admit(self, rpc: str, scope: str) -> float:
        """Count the call, raise an injected fault if one is due; return the delay to apply."""
        with self._lock:
            self._calls[rpc] += 1
            delay = max(self._latency.get("all", 0.0), self._latency.get(scope, 0.0))
            for fault in self._faults:
                if fault.scope in ("all", scope):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining == 0:
                            self._faults.remove(fault)
                    raise ApiError(fault.code, fault.message)
        return delay

    # -- RPC dispatch ---------------------------------------------------------------------

    def _vector_call(self, route: vector_routes.Route, match: re.Match[str], request: Any) -> Any:
        with self._lock:
            return route.call(self._vector, self._operations, match, request)


def _handler_for(server: Server) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        emulator = server

    return Handler


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hs-vertex-emulator/1"
    # Headers and body go out in separate writes: with Nagle on, the client's delayed ACK
    # added ~40 ms to every keep-alive call.
    disable_nagle_algorithm = True
    emulator: Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request would drown the test logs

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    # -- plumbing -----------------------------------------------------------------------

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        try:
            raw = self._read_body()
            self._route(method, url.path, query, raw)
        except ApiError as error:
            self._send_json(error.code, error.body())
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (its timeout, under injected latency): nobody to answer.
            self.close_connection = True
        except Exception as error:  # the only 500 not injected: a bug in the emulator
            self.close_connection = True
            self._send_json(500, ApiError(500, f"emulator error: {error!r}").body())

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send_json(self, code: int, payload: Any) -> None:
        data = json.dumps(payload, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_proto(self, message: Any, query: dict[str, list[str]]) -> None:
        # The REST transports ask for `$alt=json;enum-encoding=int`; honour it as Google does.
        int_enums = any("enum-encoding=int" in v for v in query.get("$alt", []))
        payload = json_format.MessageToDict(message, use_integers_for_enums=int_enums)
        self._send_json(200, payload)

    def _stream_events(self, chunks: Any, delay: float) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for i, chunk in enumerate(chunks):
            if i and delay:
                time.sleep(delay)
            data = f"data: {json.dumps(chunk, separators=(',', ':'))}\r\n\r\n".encode()
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")

    @staticmethod
    def _json_body(raw: bytes) -> dict[str, Any]:
        try:
            body = json.loads(raw or b"{}")
        except ValueError as error:
            raise invalid(f"Invalid JSON payload received. {error}") from None
        if not isinstance(body, dict):
            raise invalid("Invalid JSON payload received. Expected an object.")
        return body

    # -- routes -------------------------------------------------------------------------

    def _route(self, method: str, path: str, query: dict[str, list[str]], raw: bytes) -> None:
        if path.startswith("/emulator/v1/"):
            self._admin(method, path.removeprefix("/emulator/v1/"), raw)
            return
        match = _MODEL_ROUTE.match(path)
        if match:
            if method != "POST":
                raise not_found(f"{method} {path} is not a route")
            self._model_rpc(match["publisher"], match["model"], match["method"], query, raw)
            return
        for route in vector_routes.ROUTES:
            match = route.pattern.match(path)
            if match and method == route.verb:
                self._vector_rpc(route, match, query, raw)
                return
        if _VERTEX_RESOURCE.match(path):
            raise unimplemented(f"{method} {path} is not implemented by the local emulator")
        if path in ("/", "") and method == "POST":
            raise not_found(
                "POST / has no model in its path: google-genai sends requests to the bare "
                "base_url when project and location are unset; set both (any values work)"
            )
        raise not_found(f"{method} {path} is not a route")

    def _model_rpc(
        self, publisher: str, model: str, rpc: str, query: dict[str, list[str]], raw: bytes
    ) -> None:
        emulator = self.emulator
        if rpc in _GENERATE_METHODS:
            scope = "generate"
        elif rpc in _EMBED_METHODS:
            scope = "embed"
        else:
            raise unimplemented(f"models.{rpc} is not implemented by the local emulator")
        delay = emulator._admit(rpc, scope)
        body = self._json_body(raw)
        if publisher != "google":
            raise not_found(f"Publisher Model `publishers/{publisher}/models/{model}` not found.")
        forced = re.fullmatch(r"fail-([45]\d\d)", model)
        if forced:
            code = int(forced[1])
            raise ApiError(code, f"model {model} always fails with {code} (emulator test hook)")
        if rpc in _EMBED_METHODS:
            time.sleep(delay)
            self._send_json(200, self._embed(model, rpc, body))
            return
        if embeddings.is_predict_model(model) or embeddings.is_embed_content_model(model):
            raise invalid(f"{model} is an embedding model; it does not support {rpc}")
        created = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        if rpc == "countTokens":
            time.sleep(delay)
            self._send_json(200, generative.count_tokens_response(body))
        elif rpc == "generateContent":
            response = generative.generate(model, body, created)
            time.sleep(delay)
            self._send_json(200, response)
        else:
            chunks = list(generative.generate_stream(model, body, created))
            time.sleep(delay)
            if "sse" in query.get("alt", []):
                self._stream_events(chunks, delay)
            else:
                self._send_json(200, chunks)

    def _embed(self, model: str, rpc: str, body: dict[str, Any]) -> dict[str, Any]:
        if rpc == "predict":
            if not embeddings.is_predict_model(model):
                raise invalid(
                    f"{model} is not a text embedding model served by :predict "
                    "(gemini-embedding-001, text-embedding-*, text-multilingual-embedding-*)"
                )
            return embeddings.predict(get_model(), model, body)
        if not embeddings.is_embed_content_model(model):
            raise invalid(f"{model} does not support embedContent; use :predict")
        return embeddings.embed_content(get_model(), body)

    def _vector_rpc(
        self,
        route: vector_routes.Route,
        match: re.Match[str],
        query: dict[str, list[str]],
        raw: bytes,
    ) -> None:
        delay = self.emulator._admit(route.rpc, "vector")
        request = None
        if route.body is not None:
            request = vector_search.parse_request(self._json_body(raw), route.body)
        response = self.emulator._vector_call(route, match, request)
        time.sleep(delay)
        self._send_proto(response, query)

    def _admin(self, method: str, route: str, raw: bytes) -> None:
        emulator = self.emulator
        if method == "POST" and route == "faults":
            body = self._json_body(raw)
            emulator.fail_next(
                body.get("count", 1),
                body.get("code", 503),
                body.get("scope", "all"),
                body.get("message"),
            )
        elif method == "DELETE" and route == "faults":
            emulator.clear_faults()
        elif method == "POST" and route == "latency":
            body = self._json_body(raw)
            emulator.set_latency(body.get("seconds", 0), body.get("scope", "all"))
        elif method == "POST" and route == "reset":
            emulator.reset()
        elif method == "POST" and route == "config":
            emulator.apply_config(self._json_body(raw))
        elif method == "GET" and route == "stats":
            self._send_json(200, {"calls": emulator.stats()})
            return
        else:
            raise not_found(f"{method} /emulator/v1/{route} is not an emulator route")
        self._send_json(200, {})
