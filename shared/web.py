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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import flask
from pydantic import BaseModel, ValidationError

from shared import logs as hslog
from shared.domain.errors import (
    Conflict,
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
        if not data.strip():
            payload: Any = {}
        else:
            try:
                payload = json.loads(data, parse_constant=_reject_constant)
            except (ValueError, UnicodeDecodeError) as exc:
                raise InvalidInput(f"body is not valid JSON: {exc}", code="invalid_json") from exc
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

    def query(self, name: str, choices: Iterable[str] | None = None) -> str | None:
        value = self.raw.args.get(name)
        if value is None or value == "":
            return None
        if choices is not None and value not in set(choices):
            raise InvalidInput(
                f"{name} must be one of {', '.join(sorted(choices))}", code=f"invalid_{name}"
            )
        return value

    def query_int(self, name: str) -> int | None:
        value = self.query(name)
        if value is None:
            return None
        if not re.fullmatch(r"[0-9]{1,9}", value):
            raise InvalidInput(f"{name} must be a positive integer", code=f"invalid_{name}")
        return int(value)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


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
        text = json.dumps(to_json(self.body), ensure_ascii=False, separators=(",", ":"))
        return flask.Response(
            text, status=self.status, headers=self.headers, mimetype="application/json"
        )


def sse(event: str, data: Any) -> str:
    """One server-sent event; `data` is JSON on a single line."""
    text = json.dumps(to_json(data), ensure_ascii=False, separators=(",", ":"))
    return f"event: {event}\ndata: {text}\n\n"


def error_response(err: HybridSessionsError) -> Response:
    status = status_of(err)
    headers: dict[str, str] = {}
    if isinstance(err, Unavailable):
        headers["Retry-After"] = str(err.retry_after_s or DEFAULT_RETRY_AFTER_S)
    if isinstance(err, MethodNotAllowed):
        headers["Allow"] = ", ".join(err.details.get("allow", ()))
    return Response(status, error_body(err.code, err.message), headers)


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
        allowed: list[str] = []
        for route in self._routes:
            match = route.pattern.match(path)
            if match is None:
                continue
            if route.method == method:
                return route.handler, match.groupdict()
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
        with hslog.request_context(trace):
            response = self._handle(raw, settings.max_body_bytes)
            if response.stream is not None:
                response.stream = self._streamed(
                    response.stream, response.status, raw, trace, started
                )
                return response.to_flask()
            # Server time of the request, for clients and benchmarks (W3C Server-Timing).
            elapsed_ms = (time.perf_counter() - started) * 1000
            response.headers.setdefault("Server-Timing", f"app;dur={elapsed_ms:.1f}")
            _log_request(raw, response.status, started)
            return response.to_flask()

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
            handler, params = self.resolve(raw.method, raw.path)
            return handler(Request(raw, params, max_body_bytes), **params)
        except HybridSessionsError as err:
            if status_of(err) >= 500:
                log.warning("%s: %s", err.code, err.message)
            return error_response(err)
        except Exception:
            log.exception("unhandled error in %s %s", raw.method, raw.path)
            return Response(500, error_body("internal", "internal error"))


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


class LazyApp:
    """The router of `module` (its `router` attribute), imported on the first request."""

    def __init__(self, module: str) -> None:
        from shared.auth import assert_safe
        from shared.config import get_settings

        # At import time, so a misconfigured deployment fails to start instead of serving.
        assert_safe(get_settings())
        self._module = module
        self._router: Router | None = None

    def __call__(self, raw: flask.Request) -> flask.Response:
        if self._router is None:
            self._router = importlib.import_module(self._module).router
        return self._router(raw)
