"""Session lookup and management, and a user's erasure.

POST   /v1/sessions                       create            -> 201 Session
GET    /v1/sessions                       list, newest first (status, page_size, page_token)
GET    /v1/sessions/{id}                  get               -> Session
PATCH  /v1/sessions/{id}                  title, status, metadata -> Session
DELETE /v1/sessions/{id}                  session and messages -> 204
GET    /v1/sessions/{id}/messages         by seq (order=asc|desc, page_size, page_token)
POST   /v1/sessions/{id}/messages         append without the LLM -> 201 {"messages"}
DELETE /v1/users/me                       erase all the caller's sessions -> 200 summary
"""

from __future__ import annotations

from typing import Any

from shared.api._common import caller, idempotency_key
from shared.bootstrap import services
from shared.domain.models import (
    AppendMessages,
    CreateSession,
    Order,
    Page,
    SessionStatus,
    UpdateSession,
)
from shared.web import Request, Response, Router

router = Router("sessions")

STATUSES: tuple[SessionStatus, ...] = ("active", "archived")
ORDERS: tuple[Order, ...] = ("asc", "desc")


def _page(name: str, page: Page[Any]) -> dict[str, Any]:
    return {name: page.items, "next_page_token": page.next_page_token}


@router.route("POST", "/v1/sessions")
def create_session(request: Request) -> Response:
    who = caller(request)
    return Response(201, services().sessions.create(who, request.body(CreateSession)))


@router.route("GET", "/v1/sessions")
def list_sessions(request: Request) -> Response:
    who = caller(request)
    page = services().sessions.list(
        who,
        status=request.query("status", STATUSES),
        page_size=request.query_int("page_size"),
        page_token=request.query("page_token"),
    )
    return Response(200, _page("sessions", page))


@router.route("GET", "/v1/sessions/{session_id}")
def get_session(request: Request, session_id: str) -> Response:
    return Response(200, services().sessions.get(caller(request), session_id))


@router.route("PATCH", "/v1/sessions/{session_id}")
def update_session(request: Request, session_id: str) -> Response:
    who = caller(request)
    body = request.body(UpdateSession)
    return Response(200, services().sessions.update(who, session_id, body))


@router.route("DELETE", "/v1/sessions/{session_id}")
def delete_session(request: Request, session_id: str) -> Response:
    services().sessions.delete(caller(request), session_id)
    return Response(204)


@router.route("GET", "/v1/sessions/{session_id}/messages")
def list_messages(request: Request, session_id: str) -> Response:
    who = caller(request)
    page = services().sessions.list_messages(
        who,
        session_id,
        order=request.query("order", ORDERS) or "asc",
        page_size=request.query_int("page_size"),
        page_token=request.query("page_token"),
    )
    return Response(200, _page("messages", page))


@router.route("POST", "/v1/sessions/{session_id}/messages")
def append_messages(request: Request, session_id: str) -> Response:
    who = caller(request)
    body = request.body(AppendMessages)
    result = services().sessions.append(who, session_id, body, idempotency_key(request))
    return Response(result.status, result.body)


@router.route("DELETE", "/v1/users/me")
def erase_me(request: Request) -> Response:
    who = caller(request)
    erased = services().sessions.erase_user(who)
    return Response(200, {"user_id": who.user_id, "sessions_deleted": erased})
