"""Structured logs in the JSON shape Cloud Logging parses from stdout.

One line per record: `severity`, `message`, `logging.googleapis.com/trace` (so a request's lines
group under its trace in the console), `httpRequest` for the request summary line, and whatever
`extra={"fields": {...}}` adds. Locally the same lines stay readable with `jq`.

The convention: every module logs through `logging.getLogger(__name__)` (the standard library,
so services and adapters import nothing of ours to log); `configure` here, called once by each
function's entry point, decides where and how records are written.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TextIO

TRACE_KEY = "logging.googleapis.com/trace"
SPAN_KEY = "logging.googleapis.com/spanId"
SAMPLED_KEY = "logging.googleapis.com/trace_sampled"

_trace: contextvars.ContextVar[Mapping[str, Any] | None] = contextvars.ContextVar(
    "hs_trace", default=None
)
_configured = False


class CloudLoggingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": _SEVERITY.get(record.levelno, "DEFAULT"),
            "message": record.getMessage(),
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "logger": record.name,
            **(_trace.get() or {}),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping):
            entry.update(fields)
        if record.exc_info:
            # Error Reporting picks up stack traces found in `message` or `stack_trace`.
            entry["stack_trace"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


_SEVERITY = {
    logging.DEBUG: "DEBUG",
    logging.INFO: "INFO",
    logging.WARNING: "WARNING",
    logging.ERROR: "ERROR",
    logging.CRITICAL: "CRITICAL",
}


class _StdoutHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever `sys.stdout` is now (test capture or a replaced stream included)."""

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, _: TextIO) -> None:
        pass


def configure(level: str = "INFO") -> None:
    """Send every log record to stdout as one JSON line; idempotent."""
    global _configured
    if _configured:
        return
    handler = _StdoutHandler()
    handler.setFormatter(CloudLoggingFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    _configured = True


def trace_fields(header: str | None, project: str) -> dict[str, Any]:
    """Cloud Logging trace fields from `X-Cloud-Trace-Context: TRACE_ID[/SPAN_ID][;o=1]`."""
    if not header:
        return {}
    trace_part, _, options = header.partition(";")
    trace_id, _, span_id = trace_part.partition("/")
    if not trace_id or not all(c in "0123456789abcdefABCDEF" for c in trace_id):
        return {}
    fields: dict[str, Any] = {TRACE_KEY: f"projects/{project}/traces/{trace_id}"}
    if span_id.isdigit():
        # Cloud Logging wants the span id as 16 hex digits; the header carries it in decimal.
        fields[SPAN_KEY] = f"{int(span_id):016x}"
    if options.strip() == "o=1":
        fields[SAMPLED_KEY] = True
    return fields


@contextmanager
def request_context(fields: dict[str, Any]) -> Iterator[None]:
    """Attach trace fields to every record logged while handling one request."""
    token = _trace.set(fields)
    try:
        yield
    finally:
        _trace.reset(token)


def http_request_fields(
    *, method: str, url: str, status: int, latency_s: float, user_agent: str | None
) -> dict[str, Any]:
    return {
        "httpRequest": {
            "requestMethod": method,
            "requestUrl": url,
            "status": status,
            "latency": f"{latency_s:.3f}s",
            "userAgent": user_agent or "",
        }
    }
