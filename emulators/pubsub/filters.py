"""Subscription filters: the attribute filter language of Pub/Sub.

    attributes:KEY                      the message has the attribute
    attributes.KEY = "v" / != "v"       attribute equality (a missing attribute is != anything)
    hasPrefix(attributes.KEY, "p")      attribute prefix
    NOT x, -x, x AND y, x OR y, ( ... )

AND and OR may not be mixed without parentheses, as on Pub/Sub. A key that is not a plain
identifier is quoted: attributes."my key". A filter longer than 256 bytes or that does not parse
is INVALID_ARGUMENT. Messages a filter rejects are acknowledged at once, never delivered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from .names import invalid

Predicate = Callable[[Mapping[str, str]], bool]
MAX_FILTER_BYTES = 256

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
      | (?P<op>!=|[():.,=\-])
      | (?P<ident>[A-Za-z0-9_][A-Za-z0-9_\-]*)
    )""",
    re.VERBOSE,
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m:
            raise invalid(f"Invalid filter: unexpected character at offset {pos}")
        pos = m.end()
        if m.group("str") is not None:
            raw = m.group("str")
            body = raw[1:-1]
            if raw[0] != "`":
                body = re.sub(r"\\(.)", r"\1", body)
            out.append(("str", body))
        elif m.group("op") is not None:
            out.append(("op", m.group("op")))
        else:
            out.append(("ident", m.group("ident")))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, kind: str, value: str | None = None) -> str:
        tok = self.peek()
        if tok is None or tok[0] != kind or (value is not None and tok[1] != value):
            want = value or kind
            got = tok[1] if tok else "end of filter"
            raise invalid(f"Invalid filter: expected {want!r}, got {got!r}")
        self.i += 1
        return tok[1]

    def keyword(self) -> str | None:
        tok = self.peek()
        if tok and tok[0] == "ident" and tok[1].upper() in ("AND", "OR", "NOT"):
            return tok[1].upper()
        return None

    def expr(self) -> Predicate:
        terms = [self.unary()]
        joiner: str | None = None
        while (kw := self.keyword()) in ("AND", "OR"):
            if joiner and kw != joiner:
                raise invalid("Invalid filter: AND and OR must be grouped with parentheses")
            joiner = kw
            self.i += 1
            terms.append(self.unary())
        if len(terms) == 1:
            return terms[0]
        if joiner == "AND":
            return lambda a: all(t(a) for t in terms)
        return lambda a: any(t(a) for t in terms)

    def unary(self) -> Predicate:
        if self.keyword() == "NOT" or self.peek() == ("op", "-"):
            self.i += 1
            inner = self.unary()
            return lambda a: not inner(a)
        return self.primary()

    def key(self) -> str:
        tok = self.peek()
        if tok and tok[0] in ("ident", "str"):
            self.i += 1
            return tok[1]
        raise invalid("Invalid filter: expected an attribute key")

    def primary(self) -> Predicate:
        tok = self.peek()
        if tok == ("op", "("):
            self.i += 1
            inner = self.expr()
            self.take("op", ")")
            return inner
        if tok and tok[0] == "ident" and tok[1] == "hasPrefix":
            self.i += 1
            self.take("op", "(")
            self.take("ident", "attributes")
            self.take("op", ".")
            key = self.key()
            self.take("op", ",")
            prefix = self.take("str")
            self.take("op", ")")
            return lambda a: key in a and a[key].startswith(prefix)
        self.take("ident", "attributes")
        nxt = self.peek()
        if nxt == ("op", ":"):
            self.i += 1
            key = self.key()
            return lambda a: key in a
        self.take("op", ".")
        key = self.key()
        op = self.peek()
        if op not in (("op", "="), ("op", "!=")):
            raise invalid("Invalid filter: expected = or != after an attribute")
        self.i += 1
        value = self.take("str")
        if op[1] == "=":
            return lambda a: a.get(key) == value
        return lambda a: a.get(key) != value


def compile_filter(text: str) -> Predicate | None:
    """A predicate over message attributes, or None for the empty filter (everything)."""
    if not text:
        return None
    if len(text.encode()) > MAX_FILTER_BYTES:
        raise invalid(f"Invalid filter: longer than {MAX_FILTER_BYTES} bytes")
    parser = _Parser(text)
    if not parser.toks:
        return None
    predicate = parser.expr()
    extra = parser.peek()
    if extra is not None:
        raise invalid(f"Invalid filter: unexpected {extra[1]!r}")
    return predicate
