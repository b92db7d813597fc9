"""The retrieval evaluation set: reproducible, big and varied enough, decoys present, and
the scorer's arithmetic."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.retrieval import generate, scorer
from benchmarks.retrieval.dataset import DATA, load

PARAPHRASE_KINDS = {"paraphrase", "assistant"}


def _tokens(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def _jaccard(a: str, b: str) -> float:
    x, y = _tokens(a), _tokens(b)
    return len(x & y) / len(x | y)


@pytest.fixture(scope="module")
def evalset():
    return load()


def test_committed_files_are_what_the_generator_writes(tmp_path: Path) -> None:
    generate.write(tmp_path)
    for name in ("conversations", "questions", "similar"):
        assert (tmp_path / f"{name}.jsonl").read_text() == (DATA / f"{name}.jsonl").read_text()


def test_size_kinds_and_splits(evalset) -> None:
    assert len(evalset.questions) >= 200
    kinds = Counter(q.kind for q in evalset.questions)
    assert set(kinds) == {"paraphrase", "assistant", "keyword", "temporal"}
    assert all(count >= 30 for count in kinds.values()), kinds
    splits = Counter(q.split for q in evalset.questions)
    assert splits["dev"] >= 100 and splits["test"] >= 100
    users = {(s.tenant_id, s.user_id) for s in evalset.sessions}
    assert len(users) >= 6


def test_paraphrases_share_few_words_with_their_evidence(evalset) -> None:
    messages = evalset.messages()
    low = [
        q
        for q in evalset.questions
        if q.kind in PARAPHRASE_KINDS
        and max(_jaccard(q.query, messages[g][1].content) for g in q.gold) < 0.2
    ]
    assert len(low) >= 0.3 * len(evalset.questions)


def test_answers_in_replies_and_keywords_are_exact(evalset) -> None:
    messages = evalset.messages()
    for q in evalset.questions:
        roles = {messages[g][1].role for g in q.gold}
        if q.kind == "assistant":
            assert roles == {"assistant"}, q.id
        if q.kind == "keyword":
            # The query verbatim, or its exact tokens: names (capitalised), anything with a digit.
            exact = [w for w in q.query.split() if w[0].isupper() or any(c.isdigit() for c in w)]
            text = " ".join(messages[g][1].content for g in q.gold)
            verbatim = q.query.lower() in text.lower()
            assert verbatim or (exact and all(w.strip("?") in text for w in exact)), q.id


def test_every_question_has_decoys_from_other_users(evalset) -> None:
    """Other users (and another tenant's user of the same id) hold sessions on the same theme."""
    themes = Counter(s.session_id.split("-", 2)[2] for s in evalset.sessions)
    for q in evalset.questions:
        theme = q.gold[0].split("-", 2)[2].rsplit("-", 1)[0]
        assert themes[theme] >= 3, q.id
    assert {"rival"} < {s.tenant_id for s in evalset.sessions}


def test_dev_and_test_share_no_theme(evalset) -> None:
    theme = lambda q: q.gold[0].split("-")[2]  # noqa: E731
    dev = {theme(q) for q in evalset.questions if q.split == "dev"}
    test = {theme(q) for q in evalset.questions if q.split == "test"}
    assert dev and test and not dev & test


def test_temporal_questions_name_a_time_and_one_session(evalset) -> None:
    for q in evalset.questions:
        if q.kind == "temporal":
            assert re.search(r"yesterday|week|month|in (March|April)", q.query, re.I), q.query
            assert len({g.rsplit("-", 1)[0] for g in q.gold}) == 1


def test_scorer_arithmetic(evalset) -> None:
    qs = evalset.questions[:2]
    other = next(m for m, (s, _) in evalset.messages().items() if s.user_id != qs[0].user_id)
    results = {
        qs[0].id: [qs[0].gold[0]],  # rank 1
        qs[1].id: [other, qs[1].gold[0]],  # rank 2, one leak
    }
    scores = scorer.score(evalset, qs, results, [1.0, 3.0])
    assert scores.recall == {1: 0.5, 5: 1.0, 10: 1.0}
    assert scores.mrr == pytest.approx((1 + 1 / 2) / 2)
    assert scores.leaks == 1
    assert scores.p50_ms == 2.0


def test_scorer_command(evalset, tmp_path: Path, capsys) -> None:
    test = evalset.split("test")
    run = tmp_path / "run.jsonl"
    run.write_text(
        "".join(
            json.dumps({"id": q.id, "results": list(q.gold), "ms": 1}) + "\n"
            for q in test.questions
        )
    )
    similar = tmp_path / "similar.jsonl"
    similar.write_text(
        "".join(json.dumps({"id": c.id, "results": list(c.gold)}) + "\n" for c in test.similar)
    )
    assert scorer.main(["--run", str(run), "--similar", str(similar)]) == 0
    out = capsys.readouterr().out
    assert f"{len(test.questions)} | 1.000 | 1.000 | 1.000 | 1.000 | 1.000 | 0 |" in out
    assert "similar hit@1: 1.000" in out
