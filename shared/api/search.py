"""Search by meaning, similar conversations, analytics and feature status.

POST /v1/search                       {"query", "session_id"?, "role"?, "since"?, "until"?,
                                       "limit"?, "page_token"?} -> {"results", "degraded",
                                       "reason", "next_page_token"}
GET  /v1/sessions/{id}/similar        ?limit= -> {"sessions": [{"session_id", "title",
                                       "score", "sample"}]}
GET  /v1/analytics                    ?since=&until=&granularity=hour|day|week&scope=user|tenant
GET  /v1/status                       -> {"features": {name: {"state", "reason"?}}}
"""

from __future__ import annotations

import dataclasses

from shared.api._common import caller
from shared.bootstrap import services
from shared.domain.errors import InvalidInput
from shared.domain.search import (
    DEFAULT_SIMILAR_LIMIT,
    GRANULARITIES,
    MAX_SIMILAR_LIMIT,
    SCOPES,
    SearchQuery,
    SearchRequest,
    parse_time,
)
from shared.web import Request, Response, Router

router = Router("search")


@router.route("POST", "/v1/search")
def search(request: Request) -> Response:
    who = caller(request)
    query = SearchQuery.from_request(request.body(SearchRequest))
    answer = services().message_search.search(who, query)
    body = {
        "results": [dataclasses.asdict(hit) for hit in answer.results],
        "degraded": answer.degraded,
        "reason": answer.reason,
        "next_page_token": answer.next_page_token,
    }
    return Response(200, body)


@router.route("GET", "/v1/sessions/{session_id}/similar")
def similar(request: Request, session_id: str) -> Response:
    who = caller(request)
    limit = request.query_int("limit")
    limit = DEFAULT_SIMILAR_LIMIT if limit is None else limit
    if not 1 <= limit <= MAX_SIMILAR_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_SIMILAR_LIMIT}", code="invalid_limit")
    found = services().similar_sessions.find(who, session_id, limit)
    return Response(200, {"sessions": [dataclasses.asdict(s) for s in found]})


@router.route("GET", "/v1/analytics")
def analytics(request: Request) -> Response:
    who = caller(request)
    report = services().reports.report(
        who,
        since=parse_time(request.query("since"), "since"),
        until=parse_time(request.query("until"), "until"),
        granularity=request.query("granularity", GRANULARITIES) or "day",
        scope=request.query("scope", SCOPES) or "user",
    )
    return Response(200, report)


@router.route("GET", "/v1/status")
def status(request: Request) -> Response:
    caller(request)
    return Response(200, {"features": services().feature_status.features()})
