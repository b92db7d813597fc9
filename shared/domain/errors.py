"""Errors of the domain. `shared.web` owns the only map from these to HTTP statuses.

Adapters translate client exceptions (google.api_core, requests) into these, so services and
entry points never see a Google exception type.
"""

from __future__ import annotations

from typing import Any


class HybridSessionsError(Exception):
    """Root of every error we raise on purpose. `code` is machine-readable and stable."""

    code = "internal"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details


class InvalidInput(HybridSessionsError):
    """The request is malformed or breaks a limit (400)."""

    code = "invalid_argument"


class Unauthenticated(HybridSessionsError):
    """No credentials, or credentials that do not verify (401)."""

    code = "unauthenticated"


class PermissionDenied(HybridSessionsError):
    """Verified caller, but not allowed (403). Foreign sessions are NotFound, not this."""

    code = "permission_denied"


class NotFound(HybridSessionsError):
    """The resource does not exist, or belongs to someone else (404)."""

    code = "not_found"


class Conflict(HybridSessionsError):
    """The request conflicts with the current state, e.g. an idempotency key reused (409)."""

    code = "conflict"


class Unavailable(HybridSessionsError):
    """A dependency is down; retrying later may succeed (503). Event functions re-raise it."""

    code = "unavailable"

    def __init__(self, message: str, *, retry_after_s: int | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after_s = retry_after_s


class UpstreamError(HybridSessionsError):
    """A dependency answered with an error that retrying will not fix (502), e.g. the LLM."""

    code = "bad_gateway"
