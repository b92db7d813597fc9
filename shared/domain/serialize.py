"""JSON shapes of the API: models and datetimes to plain values, times in RFC 3339 UTC."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, overload

from pydantic import BaseModel


def rfc3339(value: datetime) -> str:
    """UTC, microseconds, `Z`: the one time format of the API."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@overload
def to_json(value: BaseModel | Mapping[str, Any]) -> dict[str, Any]: ...
@overload
def to_json(value: object) -> Any: ...


def to_json(value: object) -> Any:
    if isinstance(value, BaseModel):
        return to_json(value.model_dump())
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, Mapping):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value
