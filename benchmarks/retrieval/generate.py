"""`python -m benchmarks.retrieval.generate`: write the evaluation set into `data/`.

Deterministic (no randomness, no model): the same templates always give the same files, so a
change to the set is a reviewable diff of `templates.py` and of the data. Six users of tenant
`eval` each have four themes (two dev, two test; each theme's pair of sessions is an earlier
`a` and a later `b`); a user `ana` of tenant `rival` has every theme with other values, the
strongest decoy (same user id, same templates). Other users' sessions are decoys too.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any

from benchmarks.retrieval.dataset import DATA, load
from benchmarks.retrieval.templates import FILLERS, SLOTS, THEMES
from shared.domain.ids import message_id

TENANT = "eval"
DECOY_TENANT = "rival"
USERS = ("ana", "ben", "chen", "dara", "eli", "fay")
NOW = datetime(2026, 6, 18, 15, 0, tzinfo=UTC)  # a Thursday
STEP = timedelta(seconds=90)

# Per theme slot of a user: (when of the later session, its start), (when of the earlier one).
TIMELINE: list[tuple[tuple[str, datetime], tuple[str, datetime]]] = [
    (
        ("yesterday", datetime(2026, 6, 17, 10, tzinfo=UTC)),
        ("in April", datetime(2026, 4, 14, 9, tzinfo=UTC)),
    ),
    (
        ("last week", datetime(2026, 6, 10, 19, tzinfo=UTC)),
        ("last month", datetime(2026, 5, 20, 8, tzinfo=UTC)),
    ),
    (
        ("this week", datetime(2026, 6, 16, 9, tzinfo=UTC)),
        ("in March", datetime(2026, 3, 11, 20, tzinfo=UTC)),
    ),
    (
        ("two weeks ago", datetime(2026, 6, 3, 18, tzinfo=UTC)),
        ("in April", datetime(2026, 4, 25, 11, tzinfo=UTC)),
    ),
]
TEMPORAL = (
    "What did I tell you about {topic} {when}?",
    "{When}, what did we discuss about {topic}?",
    "Remind me what we said about {topic} {when}.",
)


def _fill(text: str, values: dict[str, str]) -> str:
    return text.format(**values)


def _values(offset: int) -> dict[str, str]:
    return {slot: options[offset % len(options)] for slot, options in SLOTS.items()}


def _themes_of(index: int) -> list[int]:
    """Two dev and two test themes per user; the six users cover each pair once."""
    dev = [t for t, theme in enumerate(THEMES) if theme["split"] == "dev"]
    test = [t for t, theme in enumerate(THEMES) if theme["split"] == "test"]
    dev_pairs, test_pairs = list(combinations(dev, 2)), list(combinations(test, 2))
    first, second = dev_pairs[index % 6], test_pairs[(index + 3) % 6]
    return [first[0], second[0], first[1], second[1]]


def _holding(sessions: list[dict[str, Any]], tenant: str, user: str, text: str) -> list[str]:
    """Ids of the user's messages that contain `text`."""
    return [
        m["message_id"]
        for s in sessions
        if (s["tenant_id"], s["user_id"]) == (tenant, user)
        for m in s["messages"]
        if text.lower() in m["content"].lower()
    ]


def build() -> dict[str, list[dict[str, Any]]]:
    sessions: list[dict[str, Any]] = []
    questions: list[dict[str, Any]] = []
    similar: list[dict[str, Any]] = []
    bare: list[int] = []  # questions that are a bare name or code
    people = [(TENANT, user, k, _themes_of(k)) for k, user in enumerate(USERS)]
    people.append((DECOY_TENANT, "ana", 3, list(range(len(THEMES)))))
    for tenant, user, k, themes in people:
        decoy = tenant == DECOY_TENANT
        for slot, t in enumerate(themes):
            theme = THEMES[t]
            values = _values(k + t)
            later, earlier = TIMELINE[slot % len(TIMELINE)]
            ids: dict[str, str] = {}
            for side, (when, start) in (("a", earlier), ("b", later)):
                sid = f"{tenant}-{user}-{theme['name']}-{side}"
                ids[side] = sid
                start += timedelta(hours=k)
                messages, fact_ids = [], []
                pairs = [(f["u"], f["a"]) for f in theme[side]]
                pairs.append(FILLERS[(k + t + (side == "b")) % len(FILLERS)])
                for i, (said, answered) in enumerate(pairs):
                    for j, (role, text) in enumerate((("user", said), ("assistant", answered))):
                        seq = 2 * i + j
                        mid = message_id(sid, seq)
                        messages.append(
                            {
                                "message_id": mid,
                                "seq": seq,
                                "role": role,
                                "content": _fill(text, values),
                                "created_at": (start + seq * STEP).isoformat(),
                            }
                        )
                        if i < len(theme[side]):
                            fact_ids.append(mid)
                title = _fill(theme["titles"][side == "b"], values)
                sessions.append(
                    {
                        "tenant_id": tenant,
                        "user_id": user,
                        "session_id": sid,
                        "title": title,
                        "messages": messages,
                    }
                )
                if decoy:
                    continue
                for i, fact in enumerate(theme[side]):
                    for n, (kind, query, gold) in enumerate(fact["q"]):
                        picked = [message_id(sid, 2 * i + (c == "a")) for c in gold]
                        if kind == "keyword" and query.startswith("{") and query.endswith("}"):
                            bare.append(len(questions))
                        questions.append(
                            {
                                "id": f"{user}-{theme['name']}-{side}{i}-{n}",
                                "split": theme["split"],
                                "tenant_id": tenant,
                                "user_id": user,
                                "query": _fill(query, values),
                                "kind": kind,
                                "gold": picked,
                                "asked_at": NOW.isoformat(),
                            }
                        )
                phrasing = TEMPORAL[(k + t + (side == "b")) % len(TEMPORAL)]
                questions.append(
                    {
                        "id": f"{user}-{theme['name']}-{side}-when",
                        "split": theme["split"],
                        "tenant_id": tenant,
                        "user_id": user,
                        "query": phrasing.format(
                            topic=theme["topic"], when=when, When=when[0].upper() + when[1:]
                        ),
                        "kind": "temporal",
                        "gold": fact_ids,
                        "asked_at": NOW.isoformat(),
                    }
                )
            if decoy:
                continue
            for side, other in (("a", "b"), ("b", "a")):
                similar.append(
                    {
                        "id": f"{user}-{theme['name']}-{side}",
                        "split": theme["split"],
                        "tenant_id": tenant,
                        "user_id": user,
                        "session_id": ids[side],
                        "gold": [ids[other]],
                    }
                )
    for i in bare:
        # A bare name or code asks for every message of the user that holds it.
        q = questions[i]
        questions[i] = {**q, "gold": _holding(sessions, q["tenant_id"], q["user_id"], q["query"])}
    return {"conversations": sessions, "questions": questions, "similar": similar}


def write(folder: Path = DATA) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in build().items():
        with (folder / f"{name}.jsonl").open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.retrieval.generate")
    parser.add_argument("--out", type=Path, default=DATA)
    args = parser.parse_args(argv)
    write(args.out)
    evalset = load(args.out)
    print(
        f"{len(evalset.sessions)} sessions, {len(evalset.questions)} questions, "
        f"{len(evalset.similar)} similar cases -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
