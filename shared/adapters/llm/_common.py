"""What both LLM adapters do the same way: folding system turns into one instruction."""

from __future__ import annotations

from collections.abc import Sequence

from shared.ports.llm import ChatTurn


def split_system(
    turns: Sequence[ChatTurn], system: str | None
) -> tuple[str | None, list[ChatTurn]]:
    """The system instruction (the `system` argument, then any system turns, in order) and the
    user/assistant turns. Gemini takes the instruction apart from the contents; keeping one
    rule for both providers means a conversation gets the same prompt whichever serves it."""
    parts = [system] if system else []
    parts += [t.content for t in turns if t.role == "system" and t.content]
    dialogue = [t for t in turns if t.role != "system"]
    return ("\n\n".join(parts) or None), dialogue


def parse_retry_after(value: str | None) -> int | None:
    """Seconds from a `Retry-After` header given as a number; HTTP dates are rare from model
    APIs and are ignored rather than guessed."""
    if not value:
        return None
    try:
        return max(0, int(float(value.strip())))
    except ValueError:
        return None
