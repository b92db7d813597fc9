"""What the API accepts, so that every stored value is representable in Firestore and in JSON.

The rules are written once here and published in infra/api/openapi.yaml (tests compare the
two); `shared.web` applies the body rules to every request body as it parses it, and the domain
models apply the field rules (metadata, ids, times).

- JSON: valid UTF-8 without lone surrogates (Firestore strings are UTF-8, and a lone surrogate
  cannot be encoded), finite numbers only (`1e400` parses to infinity, which JSON cannot carry
  back), and at most `MAX_JSON_DEPTH` levels of objects and arrays.
- Metadata: Firestore nests maps and arrays at most 20 levels deep, counted from the document,
  so from the `metadata` map itself; keys are 1 to 256 characters (within Firestore's 1,500
  bytes) and never of the reserved form `__name__`; an array never directly holds an array.
- Numbers: integers beyond 64 bits (Firestore's integers) become the nearest double, as a
  JavaScript client reads them anyway.
- Ids: a session id is what `ids.new_session_id` makes or could make; anything else (`..`,
  `a/b`, `__x__`, 1,600 characters) simply does not exist.
- Times: the year as written is 1970 to 9998, so converting to UTC and adding or subtracting
  days can never leave the calendar.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any

from shared.domain.errors import ErrorCode, InvalidInput

MAX_JSON_DEPTH = 64
FIRESTORE_MAX_DEPTH = 20
MAX_KEY_CHARS = 256
MAX_ID_BYTES = 1_500  # Firestore's longest document id and field name
MAX_SESSION_ID_CHARS = 128
MAX_IDEMPOTENCY_KEY_CHARS = 255
MIN_YEAR, MAX_YEAR = 1970, 9998
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

SESSION_ID_PATTERN = rf"^(?!__.*__$)[A-Za-z0-9_-]{{1,{MAX_SESSION_ID_CHARS}}}$"
IDEMPOTENCY_KEY_PATTERN = rf"^[!-~]{{1,{MAX_IDEMPOTENCY_KEY_CHARS}}}$"
RESERVED_KEY_PATTERN = r"^__.*__$"
_SESSION_ID = re.compile(SESSION_ID_PATTERN)
_IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)
_RESERVED_KEY = re.compile(RESERVED_KEY_PATTERN, re.DOTALL)


# --- request bodies -------------------------------------------------------------------------


def parse_json(data: bytes) -> Any:
    """A request body as JSON, or `InvalidInput` with the code of the rule it breaks."""
    try:
        value = json.loads(
            data, parse_constant=_no_constant, parse_float=_finite_float, parse_int=_int64
        )
    except RecursionError:
        raise _too_deep() from None
    except UnicodeDecodeError:
        raise InvalidInput("body is not valid UTF-8", code=ErrorCode.INVALID_UNICODE) from None
    except ValueError as exc:
        if isinstance(exc.__cause__, InvalidInput):
            raise exc.__cause__ from None
        raise InvalidInput(
            "body is not valid JSON", code=ErrorCode.INVALID_JSON, detail=str(exc)
        ) from None
    check_json(value)
    return value


def check_json(value: Any) -> None:
    """Depth, strings and numbers of parsed JSON (iterative: no recursion to exhaust)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > MAX_JSON_DEPTH:
                raise _too_deep()
            for key, child in item.items():
                check_text(key, "a key")
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            if depth > MAX_JSON_DEPTH:
                raise _too_deep()
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            check_text(item, "a string")
        elif isinstance(item, float) and not math.isfinite(item):
            raise _not_finite()


def check_text(text: str, what: str) -> None:
    """Valid Unicode: no lone surrogate (what `\\ud800` or the bytes ED A0 80 decode to)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(
            f"{what} holds a lone UTF-16 surrogate, which is not valid Unicode",
            code=ErrorCode.INVALID_UNICODE,
        ) from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON") from _not_finite()


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is beyond a double") from _not_finite()
    return value


def _int64(text: str) -> int | float:
    value = int(text)
    return value if INT64_MIN <= value <= INT64_MAX else _finite_float(text)


def _not_finite() -> InvalidInput:
    return InvalidInput(
        "numbers must be finite doubles (no NaN, Infinity or values beyond ±1.8e308)",
        code=ErrorCode.INVALID_NUMBER,
    )


def _too_deep() -> InvalidInput:
    return InvalidInput(
        f"body nests objects and arrays more than {MAX_JSON_DEPTH} levels deep",
        code=ErrorCode.INVALID_JSON,
    )


# --- metadata -------------------------------------------------------------------------------


def check_metadata(metadata: dict[str, Any]) -> None:
    """Firestore's rules for a map field, the `metadata` map itself counting as level 1."""
    stack: list[tuple[Any, str, int, bool]] = [(metadata, "metadata", 1, False)]
    while stack:
        value, path, depth, in_list = stack.pop()
        if isinstance(value, dict | list) and depth > FIRESTORE_MAX_DEPTH:
            raise InvalidInput(
                f"{path} nests maps and arrays deeper than {FIRESTORE_MAX_DEPTH} levels "
                "(counted from metadata itself)",
                code=ErrorCode.METADATA_TOO_DEEP,
            )
        if isinstance(value, dict):
            for key, item in value.items():
                _check_key(key, path)
                stack.append((item, f"{path}.{key}", depth + 1, False))
        elif isinstance(value, list):
            if in_list:
                raise InvalidInput(f"{path} nests an array in an array", code="invalid_metadata")
            stack.extend((item, f"{path}[{i}]", depth + 1, True) for i, item in enumerate(value))
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
            raise InvalidInput(f"{path} does not fit a 64-bit integer", code="invalid_metadata")
        elif isinstance(value, float) and not math.isfinite(value):
            raise _not_finite()
        elif isinstance(value, str):
            check_text(value, path)


def _check_key(key: str, path: str) -> None:
    if not key:
        raise InvalidInput(f"{path} has an empty key", code=ErrorCode.INVALID_METADATA)
    check_text(key, f"a key of {path}")
    if len(key) > MAX_KEY_CHARS:
        raise InvalidInput(
            f"{path} has a key longer than {MAX_KEY_CHARS} characters",
            code=ErrorCode.INVALID_METADATA,
        )
    if _RESERVED_KEY.match(key):
        raise InvalidInput(
            f"{path} has a key of the reserved form __name__", code=ErrorCode.INVALID_METADATA
        )


# --- ids, keys and times --------------------------------------------------------------------


def is_session_id(value: str) -> bool:
    return bool(_SESSION_ID.match(value))


def is_idempotency_key(value: str) -> bool:
    return bool(_IDEMPOTENCY_KEY.match(value))


def check_time(value: datetime, name: str) -> datetime:
    """`value` in UTC, if its year as written is within MIN_YEAR..MAX_YEAR."""
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise InvalidInput(
            f"{name} must be a time between the years {MIN_YEAR} and {MAX_YEAR}",
            code=ErrorCode.INVALID_TIME,
        )
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
