"""`HistorySource` in memory, over lists the test fills: sessions in (tenant, id) order."""

from __future__ import annotations

from collections.abc import Iterator

from shared.domain.models import Message, Session
from shared.ports.history_source import HistorySource, ScannedSession


class InMemoryHistorySource(HistorySource):
    def __init__(self) -> None:
        self.sessions: list[Session] = []
        self.stored: dict[str, list[Message]] = {}

    def add(self, session: Session, messages: list[Message]) -> None:
        self.sessions.append(session)
        self.stored[session.session_id] = sorted(messages, key=lambda m: m.seq)

    def scan_sessions(
        self, *, tenant_id: str | None, after: str | None, limit: int
    ) -> list[ScannedSession]:
        ordered = sorted(
            (f"{s.tenant_id}/{s.session_id}", s)
            for s in self.sessions
            if tenant_id is None or s.tenant_id == tenant_id
        )
        return [
            ScannedSession(cursor, session)
            for cursor, session in ordered
            if after is None or cursor > after
        ][:limit]

    def messages(self, session: Session, *, page_size: int) -> Iterator[list[Message]]:
        stored = self.stored.get(session.session_id, [])
        for start in range(0, len(stored), page_size):
            yield stored[start : start + page_size]
