"""CORS for pages on another origin: the web console on Firebase Hosting calls the API Gateway.

API Gateway passes the browser's preflight `OPTIONS` to the function like any operation
(infra/modules/gateway adds one per path), so the function answers it. Only origins listed in
`HS_CORS_ORIGINS` get the headers; with none listed (the default) no cross-origin page may read
an answer. Credentials travel in `Authorization`, never in cookies, so no
`Access-Control-Allow-Credentials`.
"""

from __future__ import annotations

from collections.abc import Iterable

ALLOWED_HEADERS = "Authorization, Content-Type, Accept, Idempotency-Key, X-API-Key"
EXPOSED_HEADERS = "Retry-After, Server-Timing"
MAX_AGE_S = 3600


def allowed_origins(setting: str | None) -> frozenset[str]:
    """The origins of `HS_CORS_ORIGINS`, without trailing slashes (an origin has no path)."""
    return frozenset(o.strip().rstrip("/") for o in (setting or "").split(",") if o.strip())


def response_headers(origin: str | None, allowed: frozenset[str]) -> dict[str, str]:
    """Headers for any answer to a request from `origin`; none when it is not allowed."""
    if not origin or origin not in allowed:
        return {"Vary": "Origin"} if allowed else {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Expose-Headers": EXPOSED_HEADERS,
        "Vary": "Origin",
    }


def preflight_headers(
    origin: str | None, allowed: frozenset[str], methods: Iterable[str]
) -> dict[str, str]:
    """The preflight's answer: the path's methods and the headers clients send."""
    headers = response_headers(origin, allowed)
    if "Access-Control-Allow-Origin" in headers:
        headers |= {
            "Access-Control-Allow-Methods": ", ".join(sorted(set(methods))),
            "Access-Control-Allow-Headers": ALLOWED_HEADERS,
            "Access-Control-Max-Age": str(MAX_AGE_S),
        }
    return headers
