"""Wire types of the hybrid-sessions API, generated from infra/api/openapi.yaml.

Do not edit: `make clients` rewrites this file and a test fails when it is stale.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypeAlias, TypedDict

API_VERSION = "1.0.0"
"""`info.version` of the OpenAPI document these types were generated from."""


class ErrorBody(TypedDict):
    code: str
    message: str


class Error(TypedDict):
    error: ErrorBody


# Any JSON value but an array; numbers are finite doubles.
MetadataItem: TypeAlias = str | float | bool | dict[str, Any] | None


# Any JSON value but an array of arrays; numbers are finite doubles.
MetadataValue: TypeAlias = MetadataItem | list[MetadataItem]


# Free-form JSON object of the app's own, stored as a Firestore map: at most 16 KiB as compact
# JSON (`x-hs-max-bytes`), maps and arrays nested at most 20 levels counting this object as level
# 1 (`x-hs-max-depth`), keys of 1 to 256 characters never of the reserved form `__name__`, no
# array directly inside an array, numbers finite (integers beyond 64 bits are stored as the
# nearest double). Breaking a rule is 400 (`invalid_metadata`, `metadata_too_deep`,
# `metadata_too_large`, `invalid_number`).
Metadata: TypeAlias = dict[str, MetadataValue]


SessionStatus: TypeAlias = Literal["active", "archived"]


Role: TypeAlias = Literal["user", "assistant", "system", "tool"]


class Session(TypedDict):
    session_id: str
    user_id: str
    title: str | None
    status: SessionStatus
    metadata: Metadata
    message_count: int
    created_at: str
    updated_at: str


class Message(TypedDict):
    message_id: str
    session_id: str
    seq: int
    role: Role
    content: str
    created_at: str
    metadata: Metadata
    model: NotRequired[str | None]
    input_tokens: NotRequired[int | None]
    output_tokens: NotRequired[int | None]
    latency_ms: NotRequired[float | None]


class Usage(TypedDict):
    model: str
    input_tokens: int
    output_tokens: int
    total_tokens: NotRequired[int]
    latency_ms: float
    context_messages: NotRequired[int]


class ChatRequest(TypedDict):
    message: str
    session_id: NotRequired[str | None]
    stream: NotRequired[bool]
    metadata: NotRequired[Metadata]


class ChatResponse(TypedDict):
    session_id: str
    session_created: NotRequired[bool]
    message: Message
    reply: Message
    usage: Usage


class SseSession(TypedDict):
    session_id: str
    created: bool


class SseDelta(TypedDict):
    text: str


# Server-sent events (text/event-stream), one JSON object per `data` line, in this order: `event:
# session` (SseSession), `event: delta` (SseDelta, repeated as text arrives), then exactly one of
# `event: done` (a ChatResponse, the exchange stored) or `event: error` (an Error; nothing
# stored). `x-sse-events` names each event's schema.
EventStream: TypeAlias = SseSession | SseDelta | ChatResponse | Error


class CreateSessionRequest(TypedDict):
    title: NotRequired[str | None]
    metadata: NotRequired[Metadata]


class UpdateSessionRequest(TypedDict):
    """At least one field; an empty object is 400 `empty_update`."""

    title: NotRequired[str | None]
    status: NotRequired[SessionStatus]
    metadata: NotRequired[Metadata]


class MessageIn(TypedDict):
    role: Role
    content: str
    metadata: NotRequired[Metadata]


class AppendMessagesRequest(TypedDict):
    messages: list[MessageIn]


class SessionPage(TypedDict):
    sessions: list[Session]
    next_page_token: NotRequired[str | None]


class MessagePage(TypedDict):
    messages: list[Message]
    next_page_token: NotRequired[str | None]


class MessageList(TypedDict):
    messages: list[Message]


class ErasureResult(TypedDict):
    user_id: str
    sessions_deleted: int


class SearchRequest(TypedDict):
    query: str
    session_id: NotRequired[str | None]
    role: NotRequired[Role | None]
    since: NotRequired[str | None]
    until: NotRequired[str | None]
    limit: NotRequired[int | None]
    page_token: NotRequired[str | None]


class SearchResult(TypedDict):
    message_id: str
    session_id: str
    role: Role
    content: str
    snippet: NotRequired[str]
    created_at: str
    score: float


class SearchResponse(TypedDict):
    results: list[SearchResult]
    degraded: bool
    reason: NotRequired[str | None]
    next_page_token: NotRequired[str | None]


class SimilarSession(TypedDict):
    session_id: str
    title: str | None
    score: float
    sample: NotRequired[str | None]


class SimilarSessions(TypedDict):
    sessions: list[SimilarSession]
    degraded: NotRequired[bool]


class AnalyticsTotals(TypedDict):
    messages: int
    sessions: int
    users: int
    messages_per_session: NotRequired[float]
    input_tokens: NotRequired[int]
    output_tokens: NotRequired[int]


class AnalyticsByModelItem(TypedDict):
    model: str
    replies: int
    input_tokens: NotRequired[int]
    output_tokens: NotRequired[int]
    latency_ms_p50: NotRequired[float | None]
    latency_ms_p95: NotRequired[float | None]


class AnalyticsTopTopicsItem(TypedDict):
    phrase: str
    sessions: int
    mentions: NotRequired[int]


class AnalyticsSeriesItem(TypedDict):
    period: str
    messages: NotRequired[int]
    sessions: NotRequired[int]
    users: NotRequired[int]


class Analytics(TypedDict):
    totals: AnalyticsTotals
    scope: NotRequired[Literal["user", "tenant"]]
    since: NotRequired[str]
    until: NotRequired[str]
    granularity: NotRequired[Literal["hour", "day", "week"]]
    by_model: NotRequired[list[AnalyticsByModelItem]]
    roles: NotRequired[dict[str, int]]
    top_topics: NotRequired[list[AnalyticsTopTopicsItem]]
    series: list[AnalyticsSeriesItem]


class FeatureState(TypedDict):
    state: Literal["live", "degraded", "off"]
    reason: NotRequired[str | None]


class Status(TypedDict):
    features: dict[str, FeatureState]
