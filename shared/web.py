"""HTTP plumbing shared by the functions: routing, parsing, and the only error-to-status map.

A function's `main.py` imports this module and `functions_framework` only; the module named in
`LazyApp` (its routes, the services, the Google clients) loads on the first request, so a cold
start that only answers a health check pays for nothing else.

Every error answers `{"error": {"code": "...", "message": "..."}}`. Domain errors map through
`ERROR_STATUS`; anything else is a logged 500 whose body says nothing about the cause.
"""

from __future__ import annotations

import importlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, overload
from urllib.parse import unquote

import flask
from pydantic import BaseModel, ValidationError

from shared import cors
from shared import logs as hslog
from shared.domain import validation
from shared.domain.errors import (
    Conflict,
    ErrorCode,
    HybridSessionsError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
    UpstreamError,
)
from shared.domain.serialize import to_json

if TYPE_CHECKING:
    from shared.auth import Headers

M = TypeVar("M", bound=BaseModel)
C = TypeVar("C", bound=str)

log = logging.getLogger(__name__)


class MethodNotAllowed(InvalidInput):
    code = "method_not_allowed"


class PayloadTooLarge(InvalidInput):
    code = "payload_too_large"


ERROR_STATUS: dict[type[HybridSessionsError], int] = {
    MethodNotAllowed: 405,
    PayloadTooLarge: 413,
    InvalidInput: 400,
    Unauthenticated: 401,
    PermissionDenied: 403,
    NotFound: 404,
    Conflict: 409,
    UpstreamError: 502,
    Unavailable: 503,
}
DEFAULT_RETRY_AFTER_S = 5


def status_of(err: HybridSessionsError) -> int:
    for cls in type(err).__mro__:
        if cls in ERROR_STATUS:
            return ERROR_STATUS[cls]
    return 500


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


# --- request and response ---------------------------------------------------------------------


@dataclass
class Request:
    raw: flask.Request
    params: dict[str, str]
    max_body_bytes: int

    @property
    def headers(self) -> Headers:
        return self.raw.headers

    def header(self, name: str) -> str | None:
        return self.raw.headers.get(name)

    def body(self, model: type[M]) -> M:
        """The JSON body validated into `model`; an absent body counts as `{}`."""
        data = self._read()
        payload: Any = validation.parse_json(data) if data.strip() else {}
        if not isinstance(payload, dict):
            raise InvalidInput("body must be a JSON object", code="invalid_json")
        try:
            return model.model_validate(payload)
        except ValidationError as exc:
            raise _validation_error(exc) from None

    def _read(self) -> bytes:
        length = self.raw.content_length
        if length is not None and length > self.max_body_bytes:
            raise PayloadTooLarge(f"body exceeds {self.max_body_bytes} bytes")
        # Read one byte past the limit, so a chunked body without Content-Length is bounded too.
        data = self.raw.stream.read(self.max_body_bytes + 1)
        if len(data) > self.max_body_bytes:
            raise PayloadTooLarge(f"body exceeds {self.max_body_bytes} bytes")
        return data

    @overload
    def query(self, name: str) -> str | None: ...
    @overload
    def query(self, name: str, choices: Sequence[C]) -> C | None: ...
    def query(self, name: str, choices: Sequence[str] | None = None) -> str | None:
        """A query parameter; with `choices`, the one it names (typed as they are)."""
        value = self.raw.args.get(name)
        if value is None or (value == "" and choices is None):
            return None
        if choices is None:
            return value
        for choice in choices:
            if choice == value:
                return choice
        raise InvalidInput(
            f"{name} must be one of {', '.join(sorted(choices))}", code=f"invalid_{name}"
        )

    def query_int(self, name: str) -> int | None:
        value = self.query(name)
        if value is None:
            return None
        if not re.fullmatch(r"[0-9]{1,9}", value):
            raise InvalidInput(f"{name} must be a positive integer", code=f"invalid_{name}")
        return int(value)


def _validation_error(exc: ValidationError) -> InvalidInput:
    errors = exc.errors(include_url=False)
    first = errors[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    kind = first["type"]
    if kind == "extra_forbidden":
        return InvalidInput(f"unknown field: {where}", code="unknown_field")
    if kind == "missing":
        return InvalidInput(f"missing field: {where}", code="missing_field")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return InvalidInput(f"{where}: {first['msg']}{more}", code="invalid_argument")


@dataclass
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    stream: Iterator[str] | None = None

    def to_flask(self) -> flask.Response:
        if self.stream is not None:
            headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", **self.headers}
            return flask.Response(
                self.stream, status=self.status, headers=headers, mimetype="text/event-stream"
            )
        if self.body is None:
            return flask.Response(status=self.status, headers=self.headers)
        text = _dumps(self.body)
        return flask.Response(
            text, status=self.status, headers=self.headers, mimetype="application/json"
        )


def sse(event: str, data: Any) -> str:
    """One server-sent event; `data` is JSON on a single line."""
    return f"event: {event}\ndata: {_dumps(data)}\n\n"


def _dumps(value: Any) -> str:
    """Strict JSON: a non-finite number is a bug to log (500), never `Infinity` on the wire."""
    return json.dumps(to_json(value), ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def error_response(err: HybridSessionsError) -> Response:
    status = status_of(err)
    headers: dict[str, str] = {}
    if isinstance(err, Unavailable):
        headers["Retry-After"] = str(err.retry_after_s or DEFAULT_RETRY_AFTER_S)
    if isinstance(err, MethodNotAllowed):
        headers["Allow"] = ", ".join(err.details.get("allow", ()))
    return Response(status, error_body(err.code, err.public_message), headers)


# --- routing ------------------------------------------------------------------------------------

Handler = Callable[..., Response]


@dataclass
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


class Router:
    """Routes `/v1/...` paths inside one function. Handlers get the `Request` and the path
    parameters as keyword arguments, and return a `Response` or raise a domain error."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._routes: list[_Route] = []

    def route(self, method: str, path: str) -> Callable[[Handler], Handler]:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path.rstrip("/") or "/")

        def register(handler: Handler) -> Handler:
            self._routes.append(_Route(method.upper(), re.compile(f"^{regex}/?$"), handler))
            return handler

        return register

    def resolve(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        """`path` as sent, still percent-encoded: an encoded "/" stays inside its segment, and
        each path parameter is decoded only after matching."""
        allowed: list[str] = []
        for route in self._routes:
            match = route.pattern.match(path)
            if match is None:
                continue
            if route.method == method:
                params = {k: unquote(v, errors="replace") for k, v in match.groupdict().items()}
                return route.handler, params
            allowed.append(route.method)
        if allowed:
            raise MethodNotAllowed(f"{method} is not allowed on {path}", allow=sorted(set(allowed)))
        raise NotFound(f"no route for {path}", code="route_not_found")

    def __call__(self, raw: flask.Request) -> flask.Response:
        from shared.config import get_settings

        settings = get_settings()
        hslog.configure(settings.log_level)
        started = time.perf_counter()
        trace = hslog.trace_fields(raw.headers.get("X-Cloud-Trace-Context"), settings.project)
        origins = cors.allowed_origins(settings.cors_origins)
        origin = raw.headers.get("Origin")
        with hslog.request_context(trace):
            if raw.method == "OPTIONS" and raw.headers.get("Access-Control-Request-Method"):
                return self._preflight(raw, origin, origins)
            response = self._handle(raw, settings.max_body_bytes)
            if response.stream is not None:
                response.stream = self._streamed(
                    response.stream, response.status, raw, trace, started
                )
                streamed = response.to_flask()
                streamed.headers.update(cors.response_headers(origin, origins))
                return streamed
            try:
                rendered = response.to_flask()
            except Exception:
                log.exception("unrenderable answer to %s %s", raw.method, raw.path)
                response = Response(500, error_body("internal", "internal error"))
                rendered = response.to_flask()
            # Server time of the request, for clients and benchmarks (W3C Server-Timing).
            elapsed_ms = (time.perf_counter() - started) * 1000
            rendered.headers.setdefault("Server-Timing", f"app;dur={elapsed_ms:.1f}")
            rendered.headers.update(cors.response_headers(origin, origins))
            _log_request(raw, response.status, started)
            return rendered

    def _preflight(
        self, raw: flask.Request, origin: str | None, origins: frozenset[str]
    ) -> flask.Response:
        """A browser's CORS preflight: 204 with the path's methods for an allowed origin, 204
        without CORS headers (so the browser refuses) for another, 404 for an unknown path."""
        path = _path_as_sent(raw)
        methods = {r.method for r in self._routes if r.pattern.match(path)}
        if not methods:
            return error_response(
                NotFound(f"no route for {path}", code="route_not_found")
            ).to_flask()
        answer = flask.Response(status=204)
        answer.headers.update(cors.preflight_headers(origin, origins, methods))
        return answer

    @staticmethod
    def _streamed(
        stream: Iterator[str],
        status: int,
        raw: flask.Request,
        trace: dict[str, Any],
        started: float,
    ) -> Iterator[str]:
        """The stream runs after the handler returned: keep its logs in the request's trace,
        and log the request line when the stream ends."""
        with hslog.request_context(trace):
            try:
                yield from stream
            finally:
                _log_request(raw, status, started)

    def _handle(self, raw: flask.Request, max_body_bytes: int) -> Response:
        try:
            handler, params = self.resolve(raw.method, _path_as_sent(raw))
            return handler(Request(raw, params, max_body_bytes), **params)
        except HybridSessionsError as err:
            if status_of(err) >= 500 or err.details.get("detail"):
                log.warning("%s: %s %s", err.code, err.message, err.details.get("detail", ""))
            return error_response(err)
        except Exception:
            log.exception("unhandled error in %s %s", raw.method, raw.path)
            return Response(500, error_body("internal", "internal error"))


def _path_as_sent(raw: flask.Request) -> str:
    """The request target's path before percent-decoding (gunicorn's RAW_URI, werkzeug's
    REQUEST_URI), so `a%2Fb` is one segment; the decoded path when the server gives neither."""
    target = raw.environ.get("RAW_URI") or raw.environ.get("REQUEST_URI")
    if not isinstance(target, str) or not target:
        return raw.path
    path = target.split("?", 1)[0]
    if "://" in path:  # absolute-form request target
        path = "/" + path.split("://", 1)[1].partition("/")[2]
    return path


def _log_request(raw: flask.Request, status: int, started: float) -> None:
    log.info(
        "%s %s %d",
        raw.method,
        raw.path,
        status,
        extra={
            "fields": hslog.http_request_fields(
                method=raw.method,
                url=raw.url,
                status=status,
                latency_s=time.perf_counter() - started,
                user_agent=raw.headers.get("User-Agent"),
            )
        },
    )


# What the functions' HTTP server answers itself, before any route runs (a request line or
# headers it cannot take): the API's error body, never its HTML page.
SERVER_ERRORS: dict[int, tuple[str, str]] = {
    400: (ErrorCode.BAD_REQUEST, "the request is not valid HTTP/1.1"),
    403: (ErrorCode.PERMISSION_DENIED, "the request was refused"),
    414: (ErrorCode.URI_TOO_LONG, "the request line is too long"),
    417: (ErrorCode.BAD_REQUEST, "the expectation cannot be met"),
    431: (ErrorCode.REQUEST_HEADER_FIELDS_TOO_LARGE, "the request headers are too large"),
    501: (ErrorCode.BAD_REQUEST, "the transfer coding is not supported"),
}


def server_error_bytes(status: int, reason: str) -> bytes:
    """A whole HTTP/1.1 error response (it closes the connection) with the JSON error body."""
    code, message = SERVER_ERRORS.get(status, (ErrorCode.INTERNAL, "internal error"))
    body = json.dumps(error_body(code, message), separators=(",", ":"))
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return (head + body).encode("latin-1")


def answer_server_errors_in_json() -> None:
    """functions-framework serves with gunicorn (locally and on Cloud Run), which answers a
    request it cannot parse (e.g. a header over 8 KiB: 431) with an HTML page of its own, and
    has no setting for that page. Its one writer of those pages is replaced by ours."""
    try:
        from gunicorn import util
    except ImportError:  # another server (the tests' client): nothing to replace
        return

    def write_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
        util.write_nonblock(sock, server_error_bytes(status_int, reason))

    util.write_error = write_error


class LazyApp:
    """The router of `module` (its `router` attribute), imported on the first request."""

    def __init__(self, module: str) -> None:
        from shared.auth import assert_safe
        from shared.config import get_settings

        answer_server_errors_in_json()

        # At import time, so a misconfigured deployment fails to start instead of serving.
        assert_safe(get_settings())
        self._module = module
        self._router: Router | None = None

    def __call__(self, raw: flask.Request) -> flask.Response:
        if self._router is None:
            self._router = importlib.import_module(self._module).router
        return self._router(raw)
