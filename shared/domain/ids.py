"""Deterministic identifiers, carried end to end (Firestore, events, BigQuery, vectors).

A message id is computable from its session id and sequence number, so any copy can be found
again without a lookup, e.g. deleting a session removes vectors `message_id(sid, 0..count-1)`.
"""

from __future__ import annotations

import uuid

_SEQ_WIDTH = 8


def new_session_id() -> str:
    return uuid.uuid4().hex


def message_id(session_id: str, seq: int) -> str:
    """`<session_id>-<seq zero-padded>`: sorts by sequence inside a session."""
    if seq < 0:
        raise ValueError("seq must be >= 0")
    return f"{session_id}-{seq:0{_SEQ_WIDTH}d}"


def session_of(message_id: str) -> str:
    """The session id inside a `message_id`: everything before its last dash."""
    return message_id.rpartition("-")[0]


def seq_of(message_id: str) -> int | None:
    """The sequence number inside a `message_id`, or None for an id that has none."""
    seq = message_id.rpartition("-")[2]
    return int(seq) if seq.isdigit() else None


def session_event_id(session_id: str, change: str, version: int | str) -> str:
    """Id of a session change event; `version` makes repeated changes distinct."""
    return f"{session_id}.{change}.{version}"
