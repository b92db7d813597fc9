"""`AnalyticsSink` on BigQuery: streaming inserts with stable insert ids, DML erasure.

Erasure (see `shared.ports.analytics_sink`): a ledger row in `erasures` hides the data from the
`*_dedup`/`*_latest` views at once; then parameterized DELETE statements remove the rows. Real
BigQuery refuses those deletes on rows streamed in the last ~30 minutes; that error becomes
`Unavailable`, so Pub/Sub redelivers the event with backoff until the delete goes through. The
ledger itself keeps ids and a time, never content.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from shared.adapters.bigquery._errors import translate
from shared.adapters.bigquery._query import run_query
from shared.domain.errors import InvalidInput
from shared.ports.analytics_sink import AnalyticsSink, Erasure, MessageRecord, SessionRecord

if TYPE_CHECKING:
    from google.api_core.retry import Retry
    from google.cloud import bigquery

    from shared.config import Settings

MESSAGES, SESSIONS, ERASURES = "messages", "sessions", "erasures"
# insertAll accepts up to 50,000 rows and 10 MB per request; 500 rows keeps requests small.
INSERT_BATCH = 500


class BigQueryAnalyticsSink(AnalyticsSink):
    def __init__(
        self,
        client: bigquery.Client,
        dataset: str,
        *,
        timeout_s: float = 10.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._client = client
        self._dataset = f"{client.project}.{dataset}"
        self._timeout_s = timeout_s
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Settings) -> BigQueryAnalyticsSink:
        from google.cloud import bigquery

        kwargs: dict[str, Any] = {
            "project": settings.project,
            "location": settings.bigquery_location,
        }
        if settings.bigquery_endpoint:
            from google.auth.credentials import AnonymousCredentials

            kwargs["client_options"] = {"api_endpoint": settings.bigquery_endpoint}
            kwargs["credentials"] = AnonymousCredentials()
        return cls(
            bigquery.Client(**kwargs),
            settings.bigquery_dataset,
            timeout_s=settings.bigquery_timeout_s,
        )

    # --- writes --------------------------------------------------------------------------

    def write_messages(self, records: Sequence[MessageRecord]) -> None:
        now = _ts(self._clock())
        rows = [_message_row(r, now) for r in records]
        self._insert(MESSAGES, rows, [r.message.message_id for r in records])

    def write_sessions(self, records: Sequence[SessionRecord]) -> None:
        now = _ts(self._clock())
        rows = [_session_row(r, now) for r in records]
        self._insert(SESSIONS, rows, [r.event_id for r in records])

    def record_erasure(self, erasure: Erasure) -> None:
        row = {
            "event_id": erasure.event_id,
            "tenant_id": erasure.tenant_id,
            "user_id": erasure.user_id,
            "session_id": erasure.session_id,
            "erased_at": _ts(erasure.erased_at),
            "ingested_at": _ts(self._clock()),
        }
        self._insert(ERASURES, [row], [erasure.event_id])

    def _insert(self, table: str, rows: list[dict[str, Any]], row_ids: list[str]) -> None:
        for start in range(0, len(rows), INSERT_BATCH):
            chunk = slice(start, start + INSERT_BATCH)
            try:
                errors = self._client.insert_rows_json(
                    f"{self._dataset}.{table}",
                    rows[chunk],
                    row_ids=row_ids[chunk],
                    retry=self._retry(),
                    timeout=self._timeout_s,
                )
            except Exception as exc:
                raise translate(exc, f"insert into {table}") from exc
            if errors:
                # insertAll answers 200 with per-row errors (schema mismatch, bad values).
                raise InvalidInput(
                    f"bigquery rejected {len(errors)} row(s) of {table}: {errors[:3]}",
                    code="bigquery_rejected_rows",
                )

    # --- erasure -------------------------------------------------------------------------

    def message_ids(self, erasure: Erasure) -> list[str]:
        where, params = self._scope(erasure, "created_at")
        sql = f"SELECT DISTINCT message_id FROM `{self._dataset}.{MESSAGES}` WHERE {where}"
        return [row["message_id"] for row in self._query(sql, params, "list message ids")]

    def purge(self, erasure: Erasure) -> None:
        for table, time_column in ((MESSAGES, "created_at"), (SESSIONS, "occurred_at")):
            where, params = self._scope(erasure, time_column)
            self._query(f"DELETE FROM `{self._dataset}.{table}` WHERE {where}", params, "delete")

    def _scope(self, erasure: Erasure, time_column: str) -> tuple[str, list[Any]]:
        from google.cloud import bigquery

        params: list[Any] = [
            bigquery.ScalarQueryParameter("tenant_id", "STRING", erasure.tenant_id),
            bigquery.ScalarQueryParameter("user_id", "STRING", erasure.user_id),
        ]
        where = "tenant_id = @tenant_id AND user_id = @user_id"
        if erasure.session_id is not None:
            params.append(bigquery.ScalarQueryParameter("session_id", "STRING", erasure.session_id))
            where += " AND session_id = @session_id"
        else:
            params.append(
                bigquery.ScalarQueryParameter("erased_at", "TIMESTAMP", erasure.erased_at)
            )
            where += f" AND {time_column} <= @erased_at"
        return where, params

    def _query(self, sql: str, params: list[Any], action: str) -> list[Any]:
        try:
            return list(run_query(self._client, sql, params, self._timeout_s))
        except Exception as exc:
            raise translate(exc, action) from exc

    def _retry(self) -> Retry:
        """The client's own retry, bounded so an outage fails the invocation in seconds
        (Pub/Sub then redelivers with backoff) instead of blocking it for ten minutes."""
        from google.cloud.bigquery import DEFAULT_RETRY

        return DEFAULT_RETRY.with_deadline(self._timeout_s)


def _message_row(record: MessageRecord, now: str) -> dict[str, Any]:
    m = record.message
    return {
        "message_id": m.message_id,
        "event_id": record.event_id,
        "tenant_id": record.tenant_id,
        "user_id": record.user_id,
        "session_id": m.session_id,
        "seq": m.seq,
        "role": m.role,
        "content": m.content,
        "model": m.model,
        "input_tokens": m.input_tokens,
        "output_tokens": m.output_tokens,
        "latency_ms": m.latency_ms,
        "metadata": _json_text(m.metadata),
        "embedding_model": record.embedding_model,
        "created_at": _ts(m.created_at),
        "ingested_at": now,
    }


def _session_row(record: SessionRecord, now: str) -> dict[str, Any]:
    s = record.session
    return {
        "event_id": record.event_id,
        "tenant_id": record.tenant_id,
        "user_id": record.user_id,
        "session_id": s.session_id,
        "change": record.change,
        "title": s.title,
        "status": s.status,
        "metadata": _json_text(s.metadata),
        "message_count": s.message_count,
        "created_at": _ts(s.created_at),
        "updated_at": _ts(s.updated_at),
        "occurred_at": _ts(record.occurred_at),
        "ingested_at": now,
    }


def _json_text(value: dict[str, Any]) -> str | None:
    """Metadata as JSON text in a STRING column: portable (the emulator rejects dicts for JSON
    columns) and still queryable with JSON_VALUE / PARSE_JSON."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str) if value else None


def _ts(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()
