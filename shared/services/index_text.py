"""What ingest indexes for a message: the text it embeds and the keyword terms it stores.

A reply alone often lacks the words its question used ("Look at Alfama: calm at night" answers
"Which neighbourhood should I stay in?"), so a reply is indexed with the user message it
answers (the message before it in its session), and a user message with the reply after it
when there is one (`pair`). Measured on the evaluation set (benchmarks/README.md), `question`
is the default: it lifts answers and similar conversations, while `pair` makes replies outrank
the questions people ask about their own words. The keywords are the message's own text plus
its neighbour's at half weight, so an exact term still ranks its own message first.

The neighbour is taken from the same batch when it is there, else read back from the store
by its deterministic id (one batched read per batch); a missing neighbour (not stored yet,
deleted) leaves the message indexed on its own text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from shared.domain.errors import HybridSessionsError
from shared.domain.events import MessageData
from shared.domain.ids import message_id
from shared.domain.models import Message
from shared.ports.analytics_sink import MessageRecord
from shared.services.keywords import document_terms

log = logging.getLogger(__name__)

NeighbourMode = Literal["none", "question", "pair"]
"""none: own text only; question: a reply carries its question; pair: both carry each other."""

Turn = Message | MessageData
"""A stored message or one as its event carries it: both have id, session, seq, role, text."""
# Reads messages of one user by id: SessionStore.get_messages(tenant, user, ids).
MessageReader = Callable[[str, str, list[str]], Sequence[Message]]
NEIGHBOUR_TERM_WEIGHT = 0.5


@dataclass(frozen=True)
class IndexText:
    text: str
    terms: dict[str, float]


@dataclass(frozen=True)
class IndexTextBuilder:
    reader: MessageReader | None = None
    mode: NeighbourMode = "question"

    def build(self, records: Sequence[MessageRecord]) -> list[IndexText]:
        """Index texts of `records`' messages, in order (one read per user at most)."""
        users: dict[tuple[str, str], list[Turn]] = {}
        for r in records:
            users.setdefault((r.tenant_id, r.user_id), []).append(r.message)
        neighbours: dict[str, Turn] = {}
        for (tenant_id, user_id), messages in users.items():
            neighbours.update(self._neighbours(tenant_id, user_id, messages))
        return [self._text(r.message, neighbours.get(r.message.message_id)) for r in records]

    def _wanted(self, message: Turn) -> str | None:
        if self.mode == "none":
            return None
        if message.role == "assistant" and message.seq > 0:
            return message_id(message.session_id, message.seq - 1)
        if message.role == "user" and self.mode == "pair":
            return message_id(message.session_id, message.seq + 1)
        return None

    def _neighbours(
        self, tenant_id: str, user_id: str, messages: Sequence[Turn]
    ) -> dict[str, Turn]:
        wanted = {m.message_id: w for m in messages if (w := self._wanted(m)) is not None}
        known: dict[str, Turn] = {m.message_id: m for m in messages}
        missing = [w for w in dict.fromkeys(wanted.values()) if w not in known]
        if missing and self.reader is not None:
            try:
                known.update((m.message_id, m) for m in self.reader(tenant_id, user_id, missing))
            except HybridSessionsError as exc:
                # Better indexed on its own text now than not indexed until the store is back.
                log.warning("index text: neighbours not read (%s); own text only", exc.code)
        found: dict[str, Turn] = {}
        for mid, want in wanted.items():
            other = known.get(want)
            # A reply's neighbour must be the question it answers, and the other way round.
            if other is not None and {other.role, known[mid].role} == {"user", "assistant"}:
                found[mid] = other
        return found

    @staticmethod
    def _text(message: Turn, neighbour: Turn | None) -> IndexText:
        terms = document_terms(message.content)
        if neighbour is None:
            return IndexText(message.content, terms)
        for term, weight in document_terms(neighbour.content).items():
            terms[term] = max(terms.get(term, 0.0), round(weight * NEIGHBOUR_TERM_WEIGHT, 4))
        first, second = (
            (neighbour, message) if neighbour.seq < message.seq else (message, neighbour)
        )
        return IndexText(f"{first.content}\n{second.content}", terms)
