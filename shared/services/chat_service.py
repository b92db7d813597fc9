"""The chat turn: context window, LLM call, one atomic write for question and reply, events.

Its Firestore round trips, in order: the Idempotency-Key's claim and the session's read (with
its recent window, so the context needs no query) run at once; after the model, one commit
stores question and reply; after the publish, one commit flags both published. The flag stays
before the response: Cloud Run functions throttle the CPU once a response is sent, and the
published flag saves the reconciler a republish.

LLM failures store nothing: the client gets 503 `llm_unavailable` (retry) or 502 `llm_error`,
and may simply send the same request again (with the same Idempotency-Key, if it used one).
So there is never a reply without its question, nor a question nobody answered.

Streaming sends `session`, then `delta` events as text arrives, then `done` with the same body a
non-streaming call returns (or `error`). The exchange is stored when the model has finished; a
client that disconnects earlier leaves nothing stored.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.domain.errors import HybridSessionsError, Unavailable, UpstreamError
from shared.domain.models import Caller, ChatRequest, Limits, Message, NewMessage, Session
from shared.domain.serialize import to_json
from shared.ports.event_bus import EventPublisher
from shared.ports.llm import ChatTurn, Completion, LLMProvider
from shared.ports.session_store import (
    IdempotencyClaim,
    IdempotencyResult,
    SessionKey,
    SessionSnapshot,
    SessionStore,
    StoredResponse,
)
from shared.services.events import EventDispatcher, session_changed
from shared.services.idempotency import Idempotency, Result
from shared.services.session_service import new_session, session_key

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
_TITLE_CHARS = 80
# How long storing the exchange may take after the model answered, contention included.
WRITE_BUDGET_S = 10.0


@dataclass(frozen=True)
class StreamEvent:
    name: str
    data: dict[str, Any]


@dataclass
class StreamResult:
    status: int
    events: Iterator[StreamEvent]


@dataclass
class _Turn:
    """Everything decided before the model is called."""

    caller: Caller
    request: ChatRequest
    session: Session
    created: bool
    turns: list[ChatTurn]
    asked_at: datetime
    claim: IdempotencyClaim | None
    history: list[Message] = field(default_factory=list)
    snapshot: SessionSnapshot | None = None

    @property
    def key(self) -> SessionKey:
        return SessionKey(self.caller.tenant_id, self.caller.user_id, self.session.session_id)


class ChatService:
    def __init__(
        self,
        store: SessionStore,
        publisher: Callable[[], EventPublisher],
        llm: Callable[[], LLMProvider],
        limits: Limits,
        *,
        system_prompt: str | None,
        llm_timeout_s: float,
        idempotency_ttl_s: float,
        clock: Clock,
    ) -> None:
        self._store = store
        self._events = EventDispatcher(store, publisher)
        self._llm = llm
        self._limits = limits
        self._system = system_prompt
        self._clock = clock
        self._idempotency = Idempotency(
            store,
            # A claim outlives the longest turn it guards; after that a crashed attempt's key
            # may be taken over by a retry.
            lease_s=llm_timeout_s + 30.0,
            ttl_s=idempotency_ttl_s,
        )
        # Reads that overlap the idempotency claim (one per request in flight at most).
        self._reads = ThreadPoolExecutor(max_workers=8, thread_name_prefix="chat-read")

    # --- public ---------------------------------------------------------------------------------

    def chat(self, caller: Caller, request: ChatRequest, idempotency_key: str | None) -> Result:
        turn = self._prepare(caller, request, idempotency_key)
        if isinstance(turn, Result):
            return turn
        try:
            completion = self._complete(turn.turns)
            return self._store_turn(turn, completion)
        except BaseException:
            self._idempotency.release(turn.claim)
            raise

    def stream(
        self, caller: Caller, request: ChatRequest, idempotency_key: str | None
    ) -> StreamResult:
        """Checks run now (so bad input is a plain 4xx); the model runs as events are read."""
        turn = self._prepare(caller, request, idempotency_key)
        if isinstance(turn, Result):
            return StreamResult(turn.status, _replay(turn))
        return StreamResult(201 if turn.created else 200, self._stream(turn))

    # --- steps ----------------------------------------------------------------------------------

    def _prepare(
        self, caller: Caller, request: ChatRequest, idempotency_key: str | None
    ) -> _Turn | Result:
        self._limits.check_content(request.message)
        self._limits.check_metadata(request.metadata)
        now = self._clock()
        key = None if request.session_id is None else session_key(caller, request.session_id)
        # The claim and the read do not depend on each other: one round trip for both.
        reading: Future[SessionSnapshot] | None = None
        if key is not None and idempotency_key is not None:
            reading = self._reads.submit(self._read, key)
        fingerprint_of = request.model_dump(exclude={"stream"})
        claim, replay = self._idempotency.claim(
            caller, idempotency_key, "chat", fingerprint_of, now
        )
        if replay is not None:
            return replay
        try:
            snapshot = None
            if key is None:
                session = new_session(caller, now, _title(request.message), {})
                created, history = True, []
            else:
                snapshot = reading.result() if reading is not None else self._read(key)
                session = snapshot.session
                session.check_writable()
                created, history = False, snapshot.recent
            turns = self._context(history, request.message)
        except BaseException:
            self._idempotency.release(claim)
            raise
        return _Turn(caller, request, session, created, turns, now, claim, history, snapshot)

    def _read(self, key: SessionKey) -> SessionSnapshot:
        # The new message takes one slot of the window; fetch at most the rest, newest first.
        return self._store.read_for_append(key, self._limits.context_max_messages - 1)

    def _context(self, newest_first: Sequence[Message], message: str) -> list[ChatTurn]:
        """The most recent messages that fit the token budget, oldest first, then the new one."""
        estimate = self._llm().estimate_tokens
        budget = self._limits.context_token_budget - estimate(message)
        if self._system:
            budget -= estimate(self._system)
        picked: list[ChatTurn] = []
        for past in newest_first:
            if past.role not in ("user", "assistant", "system"):
                continue
            cost = estimate(past.content)
            if cost > budget:
                break
            budget -= cost
            picked.append(ChatTurn(role=past.role, content=past.content))
        picked.reverse()
        # A window cut mid-conversation may open with a reply; models want a user turn first.
        while picked and picked[0].role == "assistant":
            picked.pop(0)
        picked.append(ChatTurn(role="user", content=message))
        return picked

    def _complete(self, turns: list[ChatTurn]) -> Completion:
        with _llm_error_codes():
            return self._llm().complete(turns, system=self._system)

    def _stream(self, turn: _Turn) -> Iterator[StreamEvent]:
        yield StreamEvent(
            "session", {"session_id": turn.session.session_id, "created": turn.created}
        )
        stored = False
        try:
            completion: Completion | None = None
            for item in _llm_errors(self._llm().stream(turn.turns, system=self._system)):
                if isinstance(item, Completion):
                    completion = item
                elif item:
                    yield StreamEvent("delta", {"text": item})
            if completion is None:
                raise UpstreamError("the model stream ended without a reply", code="llm_error")
            result = self._store_turn(turn, completion)
            stored = True
            yield StreamEvent("done", result.body)
        except HybridSessionsError as err:
            yield StreamEvent("error", {"error": {"code": err.code, "message": err.public_message}})
        except Exception:
            log.exception("chat stream failed")
            yield StreamEvent("error", {"error": {"code": "internal", "message": "internal error"}})
        finally:
            # Also runs when the client goes away (GeneratorExit): nothing stored, key freed.
            if not stored:
                self._idempotency.release(turn.claim)

    def _store_turn(self, turn: _Turn, completion: Completion) -> Result:
        replied_at = self._clock()
        messages = [
            NewMessage(
                role="user",
                content=turn.request.message,
                created_at=turn.asked_at,
                metadata=turn.request.metadata,
            ),
            NewMessage(
                role="assistant",
                content=completion.text,
                created_at=replied_at,
                metadata={},
                model=completion.model,
                input_tokens=completion.input_tokens,
                output_tokens=completion.output_tokens,
                latency_ms=round(completion.latency_ms, 1),
            ),
        ]
        status = 201 if turn.created else 200
        usage = {
            "model": completion.model,
            "input_tokens": completion.input_tokens,
            "output_tokens": completion.output_tokens,
            "total_tokens": completion.input_tokens + completion.output_tokens,
            "latency_ms": round(completion.latency_ms, 1),
            "context_messages": len(turn.turns),
        }

        def render(session: Session, stored: list[Message]) -> StoredResponse:
            return StoredResponse(status, _body(session, stored, usage, turn.created))

        outbox = [session_changed(turn.session, "created", turn.asked_at)] if turn.created else []
        session, stored = self._store.append_messages(
            turn.key,
            messages,
            now=replied_at,
            new_session=turn.session if turn.created else None,
            outbox=outbox,
            idempotency=IdempotencyResult(turn.claim, render) if turn.claim else None,
            snapshot=turn.snapshot,
            deadline=time.monotonic() + WRITE_BUDGET_S,
        )
        self._events.publish(outbox=outbox, messages=stored)
        return Result(status, _body(session, stored, usage, turn.created))


def _title(message: str) -> str:
    first_line = message.strip().splitlines()[0] if message.strip() else ""
    return first_line[:_TITLE_CHARS]


def _body(
    session: Session, stored: list[Message], usage: dict[str, Any], created: bool
) -> dict[str, Any]:
    question, reply = stored
    return to_json(
        {
            "session_id": session.session_id,
            "session_created": created,
            "message": question,
            "reply": reply,
            "usage": usage,
        }
    )


@contextmanager
def _llm_error_codes() -> Iterator[None]:
    """The LLM's failures carry `llm_*` codes (the adapter's own when it gave one, e.g.
    `llm_rate_limited`), so clients can tell them from storage failures."""
    try:
        yield
    except Unavailable as err:
        if err.code.startswith("llm_"):
            raise
        raise Unavailable(
            err.message, code="llm_unavailable", retry_after_s=err.retry_after_s or 5
        ) from err
    except UpstreamError as err:
        if err.code.startswith("llm_"):
            raise
        raise UpstreamError(err.message, code="llm_error") from err


def _llm_errors(items: Iterator[str | Completion]) -> Iterator[str | Completion]:
    with _llm_error_codes():
        yield from items


def _replay(result: Result) -> Iterator[StreamEvent]:
    body = result.body
    created = bool(body.get("session_created"))
    yield StreamEvent("session", {"session_id": body["session_id"], "created": created})
    yield StreamEvent("delta", {"text": body["reply"]["content"]})
    yield StreamEvent("done", body)
