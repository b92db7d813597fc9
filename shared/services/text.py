"""Plain-text helpers of search and analytics: terms, stopwords, snippets. No I/O."""

from __future__ import annotations

import re

_RIGHT_QUOTE = "\u2019"  # typographic apostrophe, as phones type it
_WORD = re.compile(rf"[^\W_]+(?:['{_RIGHT_QUOTE}][^\W_]+)?")

# English function words and chat filler: never a search term or part of a topic.
_STOPWORD_TEXT = """
    a about above after again against all also am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't down during each few for from further get gets got had hadn't has hasn't
    have haven't having he her here hers herself him himself his how i i'd i'll i'm i've if in
    into is isn't it it's its itself just let let's like me more most much my myself no nor not
    now of off on once only or other ought our ours ourselves out over own please same shall she
    should shouldn't so some such than thank thanks that that's the their theirs them themselves
    then there there's these they they're this those through to too under until up us very was
    wasn't we we're were weren't what what's when where which while who whom why will with won't
    would wouldn't yes you you'd you'll you're you've your yours yourself yourselves hi hello hey
    ok okay sure really want need know think tell something anything thing things way well
    one two also still even ever maybe might must may
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def words(text: str) -> list[str]:
    """Lower-case words, apostrophes kept inside a word (don't, l'eau)."""
    return [w.replace(_RIGHT_QUOTE, "'") for w in _WORD.findall(text.lower())]


def terms(text: str) -> list[str]:
    """The distinct content words of a query, in order; all words if every one is a stopword."""
    all_words = list(dict.fromkeys(words(text)))
    content = [w for w in all_words if w not in STOPWORDS]
    return content or all_words


def snippet(content: str, needles: list[str], width: int = 200) -> str:
    """About `width` characters of `content` around the first needle found (the start if none),
    cut at word boundaries, with an ellipsis where text was left out."""
    text = " ".join(content.split())
    if len(text) <= width:
        return text
    lowered = text.lower()
    hits = [i for i in (lowered.find(n) for n in needles if n) if i >= 0]
    center = min(hits) if hits else 0
    start = max(0, min(center - width // 3, len(text) - width))
    end = min(len(text), start + width)
    if start > 0:
        start = text.find(" ", start) + 1 or start
    if end < len(text):
        end = text.rfind(" ", start, end) if text.rfind(" ", start, end) > start else end
    return ("…" if start > 0 else "") + text[start:end].strip() + ("…" if end < len(text) else "")
