"""ApiError: an error answer of the API, with its machine-readable code."""

from __future__ import annotations

import httpx


class ApiError(Exception):
    """An error answer of the API: `status`, machine-readable `code`, human `message`, and
    `retry_after` (seconds) when the server sent `Retry-After`."""

    def __init__(
        self, status: int, code: str, message: str, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiError:
        """From a read response (`Response.read()` first when it was streamed)."""
        try:
            body = response.json()["error"]
            code, message = str(body.get("code", "unknown")), str(body.get("message", ""))
        except (ValueError, KeyError, TypeError, AttributeError):
            code, message = "unknown", response.text[:200]
        return cls(response.status_code, code, message, _seconds(response.headers))


def _seconds(headers: httpx.Headers) -> float | None:
    value = headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None
