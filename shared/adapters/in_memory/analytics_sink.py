"""`AnalyticsSink` in memory: every delivered row kept (duplicates included), like the raw
BigQuery tables; `visible_messages()` answers what the `messages_dedup` view would."""

from __future__ import annotations

from collections.abc import Sequence

from shared.ports.analytics_sink import AnalyticsSink, Erasure, MessageRecord, SessionRecord


class InMemoryAnalyticsSink(AnalyticsSink):
    def __init__(self) -> None:
        self.message_rows: list[MessageRecord] = []
        self.session_rows: list[SessionRecord] = []
        self.erasures: list[Erasure] = []

    def write_messages(self, records: Sequence[MessageRecord]) -> None:
        self.message_rows.extend(records)

    def write_sessions(self, records: Sequence[SessionRecord]) -> None:
        self.session_rows.extend(records)

    def record_erasure(self, erasure: Erasure) -> None:
        self.erasures.append(erasure)

    def message_ids(self, erasure: Erasure) -> list[str]:
        return sorted({r.message.message_id for r in self.message_rows if _covers(erasure, r)})

    def purge(self, erasure: Erasure) -> None:
        self.message_rows = [r for r in self.message_rows if not _covers(erasure, r)]
        self.session_rows = [
            r
            for r in self.session_rows
            if not (
                r.tenant_id == erasure.tenant_id
                and r.user_id == erasure.user_id
                and (
                    r.session.session_id == erasure.session_id
                    if erasure.session_id is not None
                    else r.occurred_at <= erasure.erased_at
                )
            )
        ]

    def visible_messages(self) -> dict[str, MessageRecord]:
        """One record per message id, minus erased ones: the dedup view's answer."""
        return {
            r.message.message_id: r
            for r in self.message_rows
            if not any(_covers(e, r) for e in self.erasures)
        }


def _covers(erasure: Erasure, record: MessageRecord) -> bool:
    if (record.tenant_id, record.user_id) != (erasure.tenant_id, erasure.user_id):
        return False
    if erasure.session_id is not None:
        return record.message.session_id == erasure.session_id
    return record.message.created_at <= erasure.erased_at
