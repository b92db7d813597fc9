"""Whose words a search query asks about: "what did you recommend" asks for the assistant's
replies, "what did I say" for the user's own messages.

Without this, the best match of a question about an answer is often the user's own question
(it shares the topic and the phrasing), not the reply that holds the answer. A cue only ranks
that role's messages up (`MessageSearch`), it never filters: the other role stays reachable.
"""

from __future__ import annotations

import re

_ASSISTANT = re.compile(
    r"\b(?:(?:did|do|would|could|have|had) you|you(?:'d| had| have)?"
    r" (?:said|say|suggest\w*|recommend\w*|advis\w*|propos\w*|mention\w*|list\w*|estimat\w*"
    r"|told|tell|think|thought|gave|give|explain\w*)|your (?:\w+ )?(?:tip|advice|rule"
    r"|recommendation|suggestion|answer|idea|opinion|estimate)s?|according to you)\b",
    re.IGNORECASE,
)
_USER = re.compile(r"\b(?:i|i'm|i've|i'd|me|my|mine|myself)\b", re.IGNORECASE)


def speaker_cue(text: str) -> str | None:
    """`assistant`, `user`, or None when the query names neither."""
    if _ASSISTANT.search(text):
        return "assistant"
    if _USER.search(text):
        return "user"
    return None
