"""Search, similar conversations and analytics: request bodies, query parameters and answers.

Times in requests are RFC 3339 strings parsed here (a naive time is taken as UTC), so a bad one
is a 400 with a code rather than a validation message about types.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.domain import validation
from shared.domain.errors import InvalidInput
from shared.domain.events import MessageRole

MAX_QUERY_CHARS = 2_000
MAX_SEARCH_LIMIT = 100
DEFAULT_SEARCH_LIMIT = 10
MAX_SIMILAR_LIMIT = 100
DEFAULT_SIMILAR_LIMIT = 5

Granularity = Literal["hour", "day", "week"]
GRANULARITIES: tuple[str, ...] = ("hour", "day", "week")
AnalyticsScopeName = Literal["user", "tenant"]
SCOPES: tuple[str, ...] = ("user", "tenant")
ADMIN_ROLE = "admin"


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    query: str
    session_id: str | None = None
    role: MessageRole | None = None
    since: str | None = None
    until: str | None = None
    limit: int | None = Field(None, description="1..100, default 10.")
    page_token: str | None = None


def parse_time(value: str | None, name: str) -> datetime | None:
    """An RFC 3339 time, or `InvalidInput(invalid_time)`."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{name} is not an RFC 3339 time", code="invalid_time") from None
    return validation.check_time(parsed, name)


def check_range(since: datetime | None, until: datetime | None) -> None:
    if since is not None and until is not None and since > until:
        raise InvalidInput("since is after until", code="invalid_time_range")


@dataclass(frozen=True)
class SearchQuery:
    """A validated search: what `MessageSearch` runs."""

    text: str
    limit: int
    session_id: str | None = None
    role: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    page_token: str | None = None

    @classmethod
    def from_request(cls, body: SearchRequest) -> SearchQuery:
        text = body.query.strip()
        if not text:
            raise InvalidInput("query is empty", code="empty_query")
        if len(text) > MAX_QUERY_CHARS:
            raise InvalidInput(
                f"query has {len(text)} characters; the limit is {MAX_QUERY_CHARS}",
                code="query_too_long",
            )
        limit = DEFAULT_SEARCH_LIMIT if body.limit is None else body.limit
        if not 1 <= limit <= MAX_SEARCH_LIMIT:
            raise InvalidInput(
                f"limit must be between 1 and {MAX_SEARCH_LIMIT}", code="invalid_limit"
            )
        since, until = parse_time(body.since, "since"), parse_time(body.until, "until")
        check_range(since, until)
        return cls(
            text=text,
            limit=limit,
            session_id=body.session_id,
            role=body.role,
            since=since,
            until=until,
            page_token=body.page_token,
        )

    def fingerprint(self) -> dict[str, Any]:
        """What a page token is bound to: everything but the page position and size."""
        return {
            "q": self.text,
            "s": self.session_id,
            "r": self.role,
            "a": self.since.isoformat() if self.since else None,
            "b": self.until.isoformat() if self.until else None,
        }


@dataclass(frozen=True)
class SearchHit:
    message_id: str
    session_id: str
    role: str
    content: str
    snippet: str
    created_at: datetime
    score: float


@dataclass(frozen=True)
class SearchAnswer:
    results: list[SearchHit]
    degraded: bool
    reason: str | None
    next_page_token: str | None


@dataclass(frozen=True)
class SimilarSession:
    session_id: str
    title: str | None
    score: float
    sample: str | None


@dataclass(frozen=True)
class AnalyticsQuery:
    """A validated analytics request; `user_id` None means the whole tenant."""

    tenant_id: str
    user_id: str | None
    since: datetime
    until: datetime
    granularity: Granularity
