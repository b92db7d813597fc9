"""`POST /v1/chat`: one turn of a conversation, answered whole or streamed as SSE."""

from __future__ import annotations

from shared.api._common import caller, idempotency_key
from shared.bootstrap import services
from shared.domain.models import ChatRequest
from shared.web import Request, Response, Router, sse

router = Router("chat")


@router.route("POST", "/v1/chat")
def post_chat(request: Request) -> Response:
    who = caller(request)
    body = request.body(ChatRequest)
    key = idempotency_key(request)
    chat = services().chat
    if body.stream or "text/event-stream" in (request.header("Accept") or ""):
        result = chat.stream(who, body, key)
        return Response(result.status, stream=(sse(e.name, e.data) for e in result.events))
    answer = chat.chat(who, body, key)
    return Response(answer.status, answer.body)
