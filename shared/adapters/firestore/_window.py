"""The recent window: a session's newest messages, copied into one document beside it, so a
turn reads its context with the session in one batched get instead of a query. Private to the
Firestore adapter.

It is a cache, never the record: every message stays its own document, and a window that does
not match its session (`through_seq` is not the session's `message_count`: a write the window
missed, or one written before windows existed) or that was cut short by its byte bound is not
used; the store queries the messages instead. It is written only in the commit that appends
messages (so it matches the session it was committed with) and deleted with its session and
when messages in it expire; nothing else writes it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.domain.models import Message

WINDOW_COLLECTION = "recent"
WINDOW_DOCUMENT = "window"
# Firestore caps a document at 1 MiB; a window stays well below it even with metadata.
MAX_WINDOW_BYTES = 512 * 1024


@dataclass(frozen=True)
class WindowLimits:
    messages: int = 20
    bytes: int = MAX_WINDOW_BYTES


def window_doc(
    newest_first: Sequence[Message], limits: WindowLimits, *, user_id: str, through_seq: int
) -> dict[str, Any]:
    """The window's document: the newest messages that fit both bounds."""
    kept: list[str] = []
    size = 2  # the brackets
    for message in newest_first[: limits.messages]:
        entry = json.dumps(message.model_dump(mode="json"), separators=(",", ":"))
        cost = len(entry.encode()) + 1
        if size + cost > limits.bytes:
            break
        kept.append(entry)
        size += cost
    return {
        "user_id": user_id,
        "through_seq": through_seq,
        "count": len(kept),
        "messages": "[" + ",".join(kept) + "]",
    }


def window_messages(
    doc: dict[str, Any] | None,
    *,
    tenant_id: str,
    user_id: str,
    message_count: int,
    limit: int,
    cutoff: datetime | None,
) -> list[Message] | None:
    """The last `limit` live messages, newest first, or None when the window cannot tell."""
    if doc is None or doc.get("user_id") != user_id or doc.get("through_seq") != message_count:
        return None
    entries = json.loads(doc.get("messages") or "[]")
    messages = [
        Message.model_validate({**entry, "tenant_id": tenant_id, "user_id": user_id})
        for entry in entries
    ]
    reaches_start = not messages or messages[-1].seq == 0
    if len(messages) < limit and not reaches_start:
        return None  # cut short by its byte bound: older messages may still fit the context
    live = [m for m in messages if cutoff is None or m.created_at > cutoff]
    return live[:limit]
