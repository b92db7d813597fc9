"""Errors of the domain. `shared.web` owns the only map from these to HTTP statuses.

Adapters translate client exceptions (google.api_core, requests) into these, so services and
entry points never see a Google exception type.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    """Every machine-readable error code, in one place. The public ones are published as the
    `Error.code` enum of infra/api/openapi.yaml (a test keeps the two equal); a few only ever
    reach logs (events, sinks), marked so below. Codes are stable: add, never rename."""

    # generic kinds (the classes below)
    INTERNAL = "internal"
    INVALID_ARGUMENT = "invalid_argument"
    UNAUTHENTICATED = "unauthenticated"
    PERMISSION_DENIED = "permission_denied"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    UNAVAILABLE = "unavailable"
    BAD_GATEWAY = "bad_gateway"
    # HTTP plumbing (shared.web, the functions' HTTP server, the gateway)
    METHOD_NOT_ALLOWED = "method_not_allowed"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    ROUTE_NOT_FOUND = "route_not_found"
    REQUEST_HEADER_FIELDS_TOO_LARGE = "request_header_fields_too_large"
    URI_TOO_LONG = "uri_too_long"
    BAD_REQUEST = "bad_request"
    DEADLINE_EXCEEDED = "deadline_exceeded"
    # request bodies and parameters
    INVALID_JSON = "invalid_json"
    INVALID_UNICODE = "invalid_unicode"
    INVALID_NUMBER = "invalid_number"
    UNKNOWN_FIELD = "unknown_field"
    MISSING_FIELD = "missing_field"
    EMPTY_MESSAGE = "empty_message"
    MESSAGE_TOO_LONG = "message_too_long"
    EMPTY_MESSAGES = "empty_messages"
    TOO_MANY_MESSAGES = "too_many_messages"
    EMPTY_UPDATE = "empty_update"
    TITLE_TOO_LONG = "title_too_long"
    INVALID_METADATA = "invalid_metadata"
    METADATA_TOO_LARGE = "metadata_too_large"
    METADATA_TOO_DEEP = "metadata_too_deep"
    INVALID_PAGE_SIZE = "invalid_page_size"
    INVALID_PAGE_TOKEN = "invalid_page_token"
    INVALID_STATUS = "invalid_status"
    INVALID_ORDER = "invalid_order"
    INVALID_LIMIT = "invalid_limit"
    INVALID_GRANULARITY = "invalid_granularity"
    INVALID_SCOPE = "invalid_scope"
    INVALID_TIME = "invalid_time"
    INVALID_TIME_RANGE = "invalid_time_range"
    TIME_RANGE_TOO_LONG = "time_range_too_long"
    TOO_MANY_PERIODS = "too_many_periods"
    EMPTY_QUERY = "empty_query"
    QUERY_TOO_LONG = "query_too_long"
    QUERY_REJECTED = "query_rejected"
    INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"
    # credentials
    INVALID_TOKEN = "invalid_token"
    INVALID_API_KEY = "invalid_api_key"
    AUTH_UNAVAILABLE = "auth_unavailable"
    ADMIN_REQUIRED = "admin_required"
    # state
    SESSION_NOT_FOUND = "session_not_found"
    SESSION_ARCHIVED = "session_archived"
    SESSION_EXISTS = "session_exists"
    ALREADY_EXISTS = "already_exists"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    IDEMPOTENCY_KEY_IN_PROGRESS = "idempotency_key_in_progress"
    CONTENTION = "contention"
    # dependencies
    STORAGE_UNAVAILABLE = "storage_unavailable"
    EVENTS_UNAVAILABLE = "events_unavailable"
    LLM_UNAVAILABLE = "llm_unavailable"
    LLM_TIMEOUT = "llm_timeout"
    LLM_RATE_LIMITED = "llm_rate_limited"
    LLM_ERROR = "llm_error"
    LLM_REJECTED = "llm_rejected"
    LLM_NO_REPLY = "llm_no_reply"
    LLM_BAD_RESPONSE = "llm_bad_response"
    LLM_AUTH = "llm_auth"
    SIMILAR_UNAVAILABLE = "similar_unavailable"
    ANALYTICS_UNAVAILABLE = "analytics_unavailable"
    # internal only: events and sinks (logs, never an HTTP answer)
    MALFORMED_EVENT = "malformed_event"
    UNSUPPORTED_SCHEMA_VERSION = "unsupported_schema_version"
    EMBEDDING_SHAPE = "embedding_shape"
    EMBEDDING_REJECTED = "embedding_rejected"
    EMBEDDING_INPUT_REJECTED = "embedding_input_rejected"
    VECTOR_SEARCH_REJECTED = "vector_search_rejected"
    VECTOR_SEARCH_NOT_CONFIGURED = "vector_search_not_configured"
    VECTOR_SEARCH_UNAVAILABLE = "vector_search_unavailable"
    BIGQUERY_REJECTED = "bigquery_rejected"
    BIGQUERY_REJECTED_ROWS = "bigquery_rejected_rows"
    ANALYTICS_QUERY_REJECTED = "analytics_query_rejected"
    STREAMING_BUFFER = "streaming_buffer"
    NOT_PROVISIONED = "not_provisioned"


INTERNAL_CODES = frozenset(
    {
        ErrorCode.MALFORMED_EVENT,
        ErrorCode.UNSUPPORTED_SCHEMA_VERSION,
        ErrorCode.EMBEDDING_SHAPE,
        ErrorCode.EMBEDDING_REJECTED,
        ErrorCode.EMBEDDING_INPUT_REJECTED,
        ErrorCode.VECTOR_SEARCH_REJECTED,
        ErrorCode.VECTOR_SEARCH_NOT_CONFIGURED,
        ErrorCode.VECTOR_SEARCH_UNAVAILABLE,
        ErrorCode.BIGQUERY_REJECTED,
        ErrorCode.BIGQUERY_REJECTED_ROWS,
        ErrorCode.ANALYTICS_QUERY_REJECTED,
        ErrorCode.STREAMING_BUFFER,
        ErrorCode.NOT_PROVISIONED,
    }
)
PUBLIC_CODES = frozenset(set(ErrorCode) - INTERNAL_CODES)


class HybridSessionsError(Exception):
    """Root of every error we raise on purpose. `code` is machine-readable and stable."""

    code = "internal"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details

    @property
    def public_message(self) -> str:
        """What a client may read. A dependency's failure (5xx) is described in the API's
        terms only: its own text (hosts, project ids, storage paths) stays in the logs."""
        if isinstance(self, Unavailable | UpstreamError):
            return _DEPENDENCY_MESSAGES.get(self.code, _DEPENDENCY_MESSAGES[type(self).code])
        return self.message


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


_DEPENDENCY_MESSAGES: dict[str, str] = {
    ErrorCode.UNAVAILABLE: "a dependency is unavailable; retry after Retry-After seconds",
    ErrorCode.BAD_GATEWAY: "a dependency answered with an error",
    ErrorCode.STORAGE_UNAVAILABLE: "storage is unavailable; retry after Retry-After seconds",
    ErrorCode.CONTENTION: "too many concurrent writes to this session; retry",
    ErrorCode.EVENTS_UNAVAILABLE: "the event bus is unavailable; retry later",
    ErrorCode.AUTH_UNAVAILABLE: "credentials cannot be verified now; retry later",
    ErrorCode.LLM_UNAVAILABLE: "the model is unavailable; nothing was stored, retry later",
    ErrorCode.LLM_TIMEOUT: "the model did not answer in time; nothing was stored, retry",
    ErrorCode.LLM_RATE_LIMITED: "the model is rate limited; nothing was stored, retry later",
    ErrorCode.LLM_ERROR: "the model answered with an error; nothing was stored",
    ErrorCode.LLM_REJECTED: "the model refused the request; nothing was stored",
    ErrorCode.LLM_NO_REPLY: "the model gave no reply; nothing was stored",
    ErrorCode.LLM_BAD_RESPONSE: "the model's answer could not be read; nothing was stored",
    ErrorCode.LLM_AUTH: "the model's credentials were refused; nothing was stored",
    ErrorCode.SIMILAR_UNAVAILABLE: (
        "similar conversations are unavailable for now (Vector Search or embeddings)"
    ),
    ErrorCode.ANALYTICS_UNAVAILABLE: "analytics are unavailable for now (BigQuery)",
}


def session_not_found() -> NotFound:
    """The one answer for a session that does not exist, has expired or is someone else's."""
    return NotFound("session not found", code=ErrorCode.SESSION_NOT_FOUND)
