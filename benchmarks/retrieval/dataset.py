"""The evaluation set's files and their types: what a user writes to score their own data.

A set is a folder of three JSON Lines files (`data/` is the project's own, made by
`generate.py`):

- `conversations.jsonl`: one session per line: `tenant_id`, `user_id`, `session_id`, `title`,
  `messages` (each `message_id`, `seq`, `role`, `content`, `created_at` in RFC 3339).
- `questions.jsonl`: one question per line: `id`, `split` (`dev` or `test`), `tenant_id`,
  `user_id` (who asks: search is restricted to them), `query`, `kind`, `gold` (the message ids
  holding the answer, LongMemEval-style evidence labels), `asked_at` (the search's "now").
- `similar.jsonl`: one "find similar conversations" case per line: `id`, `split`, `tenant_id`,
  `user_id`, `session_id`, `gold` (the session ids that are its right answer).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
SPLITS = ("dev", "test")


@dataclass(frozen=True)
class EvalMessage:
    message_id: str
    seq: int
    role: str
    content: str
    created_at: datetime


@dataclass(frozen=True)
class EvalSession:
    tenant_id: str
    user_id: str
    session_id: str
    title: str
    messages: tuple[EvalMessage, ...]


@dataclass(frozen=True)
class Question:
    id: str
    split: str
    tenant_id: str
    user_id: str
    query: str
    kind: str
    gold: tuple[str, ...]
    asked_at: datetime


@dataclass(frozen=True)
class SimilarCase:
    id: str
    split: str
    tenant_id: str
    user_id: str
    session_id: str
    gold: tuple[str, ...]


@dataclass(frozen=True)
class EvalSet:
    sessions: tuple[EvalSession, ...]
    questions: tuple[Question, ...]
    similar: tuple[SimilarCase, ...]

    def messages(self) -> dict[str, tuple[EvalSession, EvalMessage]]:
        return {m.message_id: (s, m) for s in self.sessions for m in s.messages}

    def split(self, name: str) -> EvalSet:
        return EvalSet(
            self.sessions,
            tuple(q for q in self.questions if q.split == name),
            tuple(c for c in self.similar if c.split == name),
        )


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{number}: {exc}") from None


def load(folder: Path = DATA) -> EvalSet:
    """Read and check a set: every gold id exists and belongs to the asking user."""
    sessions = tuple(
        EvalSession(
            tenant_id=row["tenant_id"],
            user_id=row["user_id"],
            session_id=row["session_id"],
            title=row.get("title", ""),
            messages=tuple(
                EvalMessage(
                    message_id=m["message_id"],
                    seq=int(m["seq"]),
                    role=m["role"],
                    content=m["content"],
                    created_at=datetime.fromisoformat(m["created_at"]),
                )
                for m in row["messages"]
            ),
        )
        for row in _lines(folder / "conversations.jsonl")
    )
    questions = tuple(
        Question(
            id=row["id"],
            split=row["split"],
            tenant_id=row["tenant_id"],
            user_id=row["user_id"],
            query=row["query"],
            kind=row["kind"],
            gold=tuple(row["gold"]),
            asked_at=datetime.fromisoformat(row["asked_at"]),
        )
        for row in _lines(folder / "questions.jsonl")
    )
    similar_path = folder / "similar.jsonl"
    similar = tuple(
        SimilarCase(
            id=row["id"],
            split=row["split"],
            tenant_id=row["tenant_id"],
            user_id=row["user_id"],
            session_id=row["session_id"],
            gold=tuple(row["gold"]),
        )
        for row in (_lines(similar_path) if similar_path.exists() else iter(()))
    )
    evalset = EvalSet(sessions, questions, similar)
    _check(evalset)
    return evalset


def _check(evalset: EvalSet) -> None:
    owners = {m.message_id: (s.tenant_id, s.user_id) for s in evalset.sessions for m in s.messages}
    sessions = {s.session_id: (s.tenant_id, s.user_id) for s in evalset.sessions}
    if len(owners) != sum(len(s.messages) for s in evalset.sessions):
        raise ValueError("message ids are not unique")
    for q in evalset.questions:
        if q.split not in SPLITS or not q.gold:
            raise ValueError(f"question {q.id}: split must be dev/test and gold non-empty")
        for gid in q.gold:
            if owners.get(gid) != (q.tenant_id, q.user_id):
                raise ValueError(f"question {q.id}: gold {gid} is not a message of its user")
    for c in evalset.similar:
        for sid in (c.session_id, *c.gold):
            if sessions.get(sid) != (c.tenant_id, c.user_id):
                raise ValueError(f"similar {c.id}: {sid} is not a session of its user")
