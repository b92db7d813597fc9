"""Resource names and the errors the emulator answers with.

Names follow Pub/Sub's rules: `projects/{project}/topics/{id}` and
`projects/{project}/subscriptions/{id}`, where an id starts with a letter, is 3 to 255
characters of letters, digits and `- _ . ~ + %`, and does not start with `goog`. A malformed
name is INVALID_ARGUMENT with the service's own message, `Invalid [topics] name: (name=...)`.
"""

from __future__ import annotations

import re

import grpc

DELETED_TOPIC = "_deleted-topic_"

_ID = re.compile(r"[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}")
_PROJECT = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-.:]{0,127}")


class ApiError(Exception):
    """An RPC answer other than OK: a gRPC status code and the service's message."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def invalid(message: str) -> ApiError:
    return ApiError(grpc.StatusCode.INVALID_ARGUMENT, message)


def not_found(message: str) -> ApiError:
    return ApiError(grpc.StatusCode.NOT_FOUND, message)


def _split(name: str, collection: str) -> tuple[str, str] | None:
    parts = name.split("/")
    if len(parts) != 4 or parts[0] != "projects" or parts[2] != collection:
        return None
    project, rid = parts[1], parts[3]
    if not _PROJECT.fullmatch(project) or not _ID.fullmatch(rid) or rid.startswith("goog"):
        return None
    return project, rid


def check(name: str, collection: str) -> tuple[str, str]:
    """(project, id) of a `projects/{p}/{collection}/{id}` name, else INVALID_ARGUMENT."""
    parsed = _split(name, collection)
    if parsed is None:
        raise invalid(f"Invalid [{collection}] name: (name={name})")
    return parsed


def check_project(name: str) -> str:
    parts = name.split("/")
    if len(parts) != 2 or parts[0] != "projects" or not _PROJECT.fullmatch(parts[1]):
        raise invalid(f"Invalid [projects] name: (name={name})")
    return parts[1]
