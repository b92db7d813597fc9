"""The gateway's WSGI application: match the operation, forward it, stream the answer back.

What it does as Google's front does: forwards the path and query unchanged (API Gateway's
APPEND_PATH_TO_ADDRESS), sets X-Forwarded-For/-Proto/-Host, adds an X-Cloud-Trace-Context when
the caller sent none, hands the caller's Authorization to the function also as
X-Forwarded-Authorization (where ESPv2 puts it when it calls the function with its own ID
token), drops hop-by-hop headers, and passes response bytes through as they arrive (SSE stays
a stream). Its own answers use the API's error shape: 404 `not_found` for an unknown path,
405 `method_not_allowed` (with `Allow`) for a known path, 502 `bad_gateway` when the function
cannot be reached, 503 `unavailable` when no backend is configured for it, 504
`deadline_exceeded` when it does not answer within its backend's deadline.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import requests
from werkzeug.exceptions import NotFound, RequestEntityTooLarge
from werkzeug.utils import send_from_directory
from werkzeug.wrappers import Request, Response

from emulators.gateway.routes import Match, RoutingTable, WrongMethod

log = logging.getLogger("emulators.gateway")

# RFC 9110 §7.6.1 hop-by-hop headers, plus those the proxy recomputes itself.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
# The server writes its own Date and Server headers; the function's would be duplicates.
_SERVER_SET = frozenset({"date", "server"})
# Headers only the gateway may set; a caller's copy is dropped so a function can trust them.
_GATEWAY_SET = frozenset(
    {"host", "content-length", "x-forwarded-authorization", "x-apigateway-api-userinfo"}
)
_CONNECT_TIMEOUT_S = 5.0
# Cloud Run's request size limit.
MAX_BODY_BYTES = 32 * 1024 * 1024


class Gateway:
    """WSGI app routing `/v1/...` to the functions in `backends` (function name -> base URL)."""

    def __init__(
        self,
        table: RoutingTable,
        backends: Mapping[str, str],
        *,
        max_body_bytes: int = MAX_BODY_BYTES,
        console_dir: Path | None = None,
    ) -> None:
        self.table = table
        self.console_dir = console_dir
        self.max_body_bytes = max_body_bytes
        self.backends = {name: url.rstrip("/") for name, url in backends.items()}
        self._http = requests.Session()
        # Only the caller's headers go out: none of requests' defaults (User-Agent, Accept, ...).
        self._http.headers.clear()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = self.max_body_bytes
        return self.handle(request)(environ, start_response)

    def close(self) -> None:
        self._http.close()

    def handle(self, request: Request) -> Response:
        # The path as sent (still percent-encoded), so an id with an encoded "/" stays one id.
        raw_path = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or ""
        path = raw_path.split("?", 1)[0] or request.path
        resolved = self.table.resolve(request.method, path)
        if resolved is None:
            if self.console_dir is not None and request.method in ("GET", "HEAD"):
                return self._console_file(request, path)
            return error(404, "not_found", f"no route for {path}")
        if isinstance(resolved, WrongMethod):
            response = error(
                405, "method_not_allowed", f"{request.method} is not allowed on {path}"
            )
            response.headers["Allow"] = ", ".join(resolved.allow)
            return response
        return self._forward(request, resolved, raw_path or path)

    def _console_file(self, request: Request, path: str) -> Response:
        """The web console's built files, beside the API on one origin (Firebase Hosting's
        role in the cloud). Paths of the API stay the API's: they never reach this."""
        assert self.console_dir is not None
        name = path.lstrip("/") or "index.html"
        try:
            response = send_from_directory(self.console_dir, name, request.environ)
        except NotFound:
            return error(404, "not_found", f"no route for {path}")
        # Built assets carry a content hash in their name; the page and its config do not.
        immutable = name.startswith("assets/")
        response.headers["Cache-Control"] = (
            "public, max-age=31536000, immutable" if immutable else "no-cache"
        )
        return response

    def _forward(self, request: Request, match: Match, target: str) -> Response:
        base = self.backends.get(match.function)
        if base is None:
            return error(
                503, "unavailable", f"no backend is configured for function {match.function!r}"
            )
        try:
            body = request.get_data(cache=False)
        except RequestEntityTooLarge:
            return error(413, "payload_too_large", f"body exceeds {self.max_body_bytes} bytes")
        deadline = self.table.deadline(match.function)
        try:
            upstream = self._http.request(
                request.method,
                base + target,
                data=body or None,
                headers=self._outgoing_headers(request),
                stream=True,
                allow_redirects=False,
                timeout=(_CONNECT_TIMEOUT_S, deadline),
            )
        except requests.Timeout:
            return error(
                504,
                "deadline_exceeded",
                f"function {match.function!r} did not answer within {deadline:g}s",
            )
        except requests.RequestException as exc:
            log.warning("backend %s at %s failed: %r", match.function, base, exc)
            return error(502, "bad_gateway", f"function {match.function!r} cannot be reached")
        headers = [
            (name, value)
            for name, value in upstream.headers.items()
            if name.lower() not in _HOP_BY_HOP and name.lower() not in _SERVER_SET
        ]
        return _Relayed(
            _relay(upstream, match.function),
            status=upstream.status_code,
            headers=headers,
            direct_passthrough=True,
        )

    def _outgoing_headers(self, request: Request) -> dict[str, str]:
        connection_tokens = {
            t.strip().lower() for t in request.headers.get("Connection", "").split(",")
        }
        headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower() not in _HOP_BY_HOP
            and name.lower() not in _GATEWAY_SET
            and name.lower() not in connection_tokens
        }
        if "Authorization" in request.headers:
            headers["X-Forwarded-Authorization"] = request.headers["Authorization"]
        if "X-Cloud-Trace-Context" not in request.headers:
            headers["X-Cloud-Trace-Context"] = new_trace_context()
        client = request.remote_addr or ""
        earlier = request.headers.get("X-Forwarded-For")
        headers["X-Forwarded-For"] = f"{earlier}, {client}" if earlier else client
        headers["X-Forwarded-Proto"] = request.scheme
        if request.host:
            headers["X-Forwarded-Host"] = request.host
        return headers


class _Relayed(Response):
    # No Content-Type unless the function sent one (a 204 has none).
    default_mimetype = None


def _relay(upstream: requests.Response, function: str) -> Iterator[bytes]:
    """The function's bytes as they arrive: each chunk it sends is written (and flushed) on.
    Undecoded, so Content-Encoding and Content-Length stay true. Closing this generator (the
    caller went away) closes the connection to the function, which sees the disconnect."""
    try:
        yield from upstream.raw.stream(None, decode_content=False)
    except Exception as exc:
        # Headers are already sent: all that can be done is to cut the response short.
        log.warning("stream from %s broke off: %r", function, exc)
    finally:
        upstream.close()


def error(status: int, code: str, message: str) -> Response:
    body = json.dumps({"error": {"code": code, "message": message}})
    return Response(body, status=status, mimetype="application/json")


def new_trace_context() -> str:
    """`TRACE_ID/SPAN_ID;o=1` as Google's front adds it: 32 hex digits, a decimal span id."""
    return f"{secrets.token_hex(16)}/{secrets.randbits(63) or 1};o=1"
