"""Opaque page tokens: versioned, authenticated cursors of the last item returned.

A token is `1.<payload>.<mac>`: version 1, the url-safe base64 of the JSON cursor, and the
first 16 bytes of its HMAC-SHA256 under the deployment's key (`HS_PAGE_TOKEN_KEY`, which
`shared.bootstrap` hands to `configure`). A client cannot forge or alter one, so a cursor value
the server did not write never reaches a query; the values are still checked field by field
(types, ranges, Unicode), so even a token signed by a leaked key cannot become a 500.

A token is bound to the query that made it (`kind`, order, filter); any other use, or any token
that does not verify, is `InvalidInput(invalid_page_token)`. Tokens move a cursor inside a
query that is already restricted to the caller: they carry no authority of their own.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from datetime import datetime
from typing import Any, TypeVar

from shared.domain import validation
from shared.domain.errors import ErrorCode, InvalidInput

T = TypeVar("T")

VERSION = "1"
MAX_TOKEN_CHARS = 2048
_MAC_BYTES = 16
# Until `configure` runs (a store used without `shared.bootstrap`): a key of this process only.
_key: bytes = secrets.token_bytes(32)


def configure(key: bytes) -> None:
    """The key every token of this process is signed and verified with."""
    global _key
    _key = key


def derived_key(secret: str | None, project: str) -> bytes:
    """The configured secret, or (local runs) a key derived from the project id, so every
    process of one deployment accepts the others' tokens."""
    material = secret if secret else f"hybrid-sessions page tokens of {project}"
    return hashlib.sha256(material.encode()).digest()


def encode(kind: str, cursor: dict[str, Any]) -> str:
    text = json.dumps({"k": kind, **cursor}, separators=(",", ":"), sort_keys=True)
    payload = _b64(text.encode())
    return f"{VERSION}.{payload}.{_b64(_mac(payload))}"


def decode(token: str | None, kind: str) -> dict[str, Any] | None:
    if token is None:
        return None
    version, _, rest = token.partition(".")
    payload, _, mac = rest.partition(".")
    if len(token) > MAX_TOKEN_CHARS or version != VERSION or not payload or not mac:
        raise _invalid()
    try:
        if not hmac.compare_digest(_unb64(mac), _mac(payload)):
            raise _invalid()
        data = json.loads(_unb64(payload))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise _invalid() from None
    if not isinstance(data, dict) or data.pop("k", None) != kind:
        raise _invalid()
    return data


def _mac(payload: str) -> bytes:
    return hmac.new(_key, f"{VERSION}.{payload}".encode(), hashlib.sha256).digest()[:_MAC_BYTES]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    if not text.isascii():
        raise ValueError("not base64")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _invalid() -> InvalidInput:
    return InvalidInput(
        "page_token is not a token this query issued", code=ErrorCode.INVALID_PAGE_TOKEN
    )


def require(cursor: dict[str, Any], field: str, kind: type[T]) -> T:
    """A typed cursor value in range (integers 0..2**63-1, strings of valid Unicode up to
    Firestore's 1,500-byte id), or invalid_page_token."""
    value = cursor.get(field)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise _invalid()
    if isinstance(value, int) and not 0 <= value <= validation.INT64_MAX:
        raise _invalid()
    if isinstance(value, str):
        try:
            size = len(value.encode("utf-8"))
        except UnicodeEncodeError:
            raise _invalid() from None
        if size > validation.MAX_ID_BYTES:
            raise _invalid()
    return value


def require_time(cursor: dict[str, Any], field: str) -> datetime:
    try:
        value = datetime.fromisoformat(require(cursor, field, str))
        if value.tzinfo is None:
            raise _invalid()
        return validation.check_time(value, field)
    except (ValueError, OverflowError, InvalidInput):
        raise _invalid() from None
