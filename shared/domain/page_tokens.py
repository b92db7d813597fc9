"""Opaque page tokens: url-safe base64 of the JSON cursor of the last item returned.

A token is bound to the query that made it (`kind`, order, filter); any other use, or any token
that does not decode, is `InvalidInput(invalid_page_token)`. Tokens are not secret: they only
move a cursor inside a query that is already restricted to the caller.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any, TypeVar

from shared.domain.errors import InvalidInput

T = TypeVar("T")


def encode(kind: str, cursor: dict[str, Any]) -> str:
    text = json.dumps({"k": kind, **cursor}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode(token: str | None, kind: str) -> dict[str, Any] | None:
    if token is None:
        return None
    try:
        if len(token) > 2048:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise _invalid() from None
    if not isinstance(data, dict) or data.pop("k", None) != kind:
        raise _invalid()
    return data


def _invalid() -> InvalidInput:
    return InvalidInput("page_token is not a token this query issued", code="invalid_page_token")


def require(cursor: dict[str, Any], field: str, kind: type[T]) -> T:
    """A typed cursor value, or invalid_page_token."""
    value = cursor.get(field)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise _invalid()
    return value


def require_time(cursor: dict[str, Any], field: str) -> datetime:
    try:
        value = datetime.fromisoformat(require(cursor, field, str))
    except ValueError:
        raise _invalid() from None
    if value.tzinfo is None:
        raise _invalid()
    return value
