"""Top topics of a set of messages: keyphrases, not word counts.

Method (RAKE-style candidates, scored by spread across conversations):
1. Candidates: each message is cut at punctuation and stopwords; the runs of content words
   left are candidate phrases, and their 1- to 3-word sub-phrases too. Numbers and one- or
   two-letter words are not topics on their own.
2. Support: the number of distinct sessions a phrase occurs in (not occurrences: a user who
   repeats one word twenty times in one chat does not make it a topic).
3. Score: support x (1 + 0.5 per extra word), so a recurring phrase ("paris flights") beats
   the single words inside it; phrases seen in one session only rank after every
   phrase seen in two or more.
4. Redundancy: walking down the ranking, a phrase sharing a word with a chosen one is
   skipped. Plurals count with their singular ("flights" = "flight").
The input is bounded by the caller (the most recent user messages of the range).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from shared.services.text import STOPWORDS, words

MAX_PHRASE_WORDS = 3
# Punctuation ends a phrase; so does a dash between spaces (hyphen, en dash, em dash).
_BREAK = re.compile(r"[.,;:!?()\[\]{}\"\u201c\u201d\u00ab\u00bb\u2026\n\r\t]+|\s[-\u2013\u2014]\s")


@dataclass(frozen=True)
class Topic:
    phrase: str
    sessions: int
    mentions: int


def top_topics(texts: Iterable[tuple[str, str]], limit: int = 10) -> list[Topic]:
    """`texts` = (session_id, content) pairs; the best `limit` keyphrases."""
    sessions: dict[str, set[str]] = defaultdict(set)
    mentions: dict[str, int] = defaultdict(int)
    surface: dict[str, str] = {}
    for session_id, content in texts:
        for key, phrase in _candidates(content).items():
            sessions[key].add(session_id)
            mentions[key] += 1
            surface.setdefault(key, phrase)

    def rank(key: str) -> tuple[bool, float, int, str]:
        support = len(sessions[key])
        score = support * (1 + 0.5 * key.count(" "))
        return (support < 2, -score, -mentions[key], key)

    chosen: list[str] = []
    used: set[str] = set()
    for key in sorted(sessions, key=rank):
        if used.intersection(key.split()):
            continue
        chosen.append(key)
        used.update(key.split())
        if len(chosen) == limit:
            break
    return [Topic(surface[k], len(sessions[k]), mentions[k]) for k in chosen]


def _candidates(content: str) -> dict[str, str]:
    """Candidate phrases of one text: normalised key -> the words as written."""
    found: dict[str, str] = {}
    for chunk in _BREAK.split(content):
        run: list[str] = []
        for word in [*words(chunk), ""]:
            if word and word not in STOPWORDS:
                run.append(word)
                continue
            for gram in _subphrases(run):
                found.setdefault(" ".join(_stem(w) for w in gram), " ".join(gram))
            run = []
    return found


def _subphrases(run: list[str]) -> list[list[str]]:
    out: list[list[str]] = []
    for size in range(1, min(MAX_PHRASE_WORDS, len(run)) + 1):
        for start in range(len(run) - size + 1):
            gram = run[start : start + size]
            if size == 1 and (len(gram[0]) < 3 or gram[0].isdigit()):
                continue
            out.append(gram)
    return out


def _stem(word: str) -> str:
    """Plural and singular as one topic ("flights", "flight"); nothing cleverer."""
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word
