"""A small, hand-counted history in the raw tables (duplicates and an erasure included), for the
analysts' queries and the analytics reader. Every expected number in the tests follows from
the table below.

| session   | tenant | user | day (UTC)  | messages                                   |
|-----------|--------|------|------------|--------------------------------------------|
| ann-trip  | acme   | ann  | 2026-03-02 | 4: u, a(m1 100/50, 200 ms), u, a(m1 120/60, 400 ms) |
| bob-chat  | acme   | bob  | 2026-03-03 | 2: u, a(m1 50/20, 300 ms)                  |
| bob-gone  | acme   | bob  | 2026-03-04 | 2: u, a(m1 999/999); session deleted (erasure ledger) |
| zed-chat  | other  | zed  | 2026-03-09 | 2: u, a(m2 7/3, 50 ms)                     |
| ann-bread | acme   | ann  | 2026-03-10 | 2: u, a(m2 10/5, 100 ms)                   |

Replies come one minute after the question; ann-trip's second question at 10:30; its first
turn (seq 0-1) is delivered twice.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from google.cloud import bigquery

from emulators.provision import load_layout, provision_bigquery

SINCE = datetime(2026, 3, 1, tzinfo=UTC)
UNTIL = datetime(2026, 4, 1, tzinfo=UTC)
_INGESTED = datetime(2026, 3, 20, tzinfo=UTC)


def _message(
    tenant: str, user: str, session: str, seq: int, at: datetime, **reply: Any
) -> dict[str, Any]:
    role = "assistant" if reply else "user"
    return {
        "message_id": f"{session}-{seq:08d}",
        "event_id": f"{session}-{seq:08d}",
        "tenant_id": tenant,
        "user_id": user,
        "session_id": session,
        "seq": seq,
        "role": role,
        "content": f"{role} text {seq} of {session}",
        "model": reply.get("model"),
        "input_tokens": reply.get("tin"),
        "output_tokens": reply.get("tout"),
        "latency_ms": reply.get("ms"),
        "metadata": None,
        "embedding_model": None,
        "created_at": at.isoformat(),
        "ingested_at": _INGESTED.isoformat(),
    }


def _turn(
    tenant: str, user: str, session: str, seq: int, at: datetime, **reply: Any
) -> list[dict[str, Any]]:
    return [
        _message(tenant, user, session, seq, at),
        _message(tenant, user, session, seq + 1, at + timedelta(minutes=1), **reply),
    ]


def message_rows() -> list[dict[str, Any]]:
    d = datetime(2026, 3, 2, 10, tzinfo=UTC)
    rows = [
        *_turn("acme", "ann", "ann-trip", 0, d, model="m1", tin=100, tout=50, ms=200.0),
        *_turn("acme", "ann", "ann-trip", 2, d + timedelta(minutes=30), model="m1", tin=120,
               tout=60, ms=400.0),
        *_turn("acme", "bob", "bob-chat", 0, d + timedelta(days=1), model="m1", tin=50, tout=20,
               ms=300.0),
        *_turn("acme", "bob", "bob-gone", 0, d + timedelta(days=2), model="m1", tin=999,
               tout=999, ms=999.0),
        *_turn("other", "zed", "zed-chat", 0, d + timedelta(days=7), model="m2", tin=7, tout=3,
               ms=50.0),
        *_turn("acme", "ann", "ann-bread", 0, d + timedelta(days=8), model="m2", tin=10, tout=5,
               ms=100.0),
    ]  # fmt: skip
    # At-least-once delivery: the first turn arrives twice, the copy ingested later.
    duplicates = [
        {**row, "ingested_at": (_INGESTED + timedelta(hours=1)).isoformat()} for row in rows[:2]
    ]
    return rows + duplicates


def session_rows() -> list[dict[str, Any]]:
    def row(tenant: str, user: str, sid: str, title: str, at: datetime, change: str) -> dict:
        return {
            "event_id": f"{sid}.{change}.{at.isoformat()}",
            "tenant_id": tenant,
            "user_id": user,
            "session_id": sid,
            "change": change,
            "title": title,
            "status": "active",
            "metadata": None,
            "message_count": 2,
            "created_at": datetime(2026, 3, 2, tzinfo=UTC).isoformat(),
            "updated_at": at.isoformat(),
            "occurred_at": at.isoformat(),
            "ingested_at": _INGESTED.isoformat(),
        }

    d = datetime(2026, 3, 2, 10, tzinfo=UTC)
    return [
        row("acme", "ann", "ann-trip", "Paris trip", d, "created"),
        row("acme", "ann", "ann-trip", "Paris trip, booked", d + timedelta(hours=1), "updated"),
        row("acme", "bob", "bob-chat", "Bob's chat", d, "created"),
        row("acme", "bob", "bob-gone", "Deleted", d, "created"),
        row("other", "zed", "zed-chat", "Zed's chat", d, "created"),
        row("acme", "ann", "ann-bread", "Bread", d, "created"),
    ]


def erasure_rows() -> list[dict[str, Any]]:
    at = datetime(2026, 3, 5, tzinfo=UTC).isoformat()
    return [
        {"event_id": "bob-gone.deleted.1", "tenant_id": "acme", "user_id": "bob",
         "session_id": "bob-gone", "erased_at": at, "ingested_at": at}
    ]  # fmt: skip


def seed(client: bigquery.Client, dataset: str) -> None:
    """Provision `dataset` from infra/bigquery and insert the rows above."""
    provision_bigquery(client, dataset, "US", load_layout())
    for table, rows in (
        ("messages", message_rows()),
        ("sessions", session_rows()),
        ("erasures", erasure_rows()),
    ):
        errors = client.insert_rows_json(f"{client.project}.{dataset}.{table}", rows)
        assert not errors, errors
