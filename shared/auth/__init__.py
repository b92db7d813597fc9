"""Authentication: verified credentials -> `Caller`. Identity never comes from a request body.

Accepted, in this order (`X-Forwarded-Authorization`, set by API Gateway, stands in for
`Authorization` when present):
- `X-API-Key: hsk_...` or `Authorization: Bearer hsk_...`: server-to-server keys, looked up by
  hash, bound to a tenant and a service user.
- `Authorization: Bearer <Firebase/Identity Platform ID token>` (`HS_AUTH_MODE=firebase`):
  verified with Google's public keys; tenant from the `firebase.tenant` claim, else
  `HS_DEFAULT_TENANT`.
- `Authorization: Bearer dev:<tenant>:<user>` or `dev:<user>` (`HS_AUTH_MODE=dev`, local stack
  only): refuses to run where `K_SERVICE` is set, i.e. on Cloud Run functions. A fourth part
  gives roles, e.g. `dev:acme:ann:admin` (tenant analytics).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Protocol

from shared.auth import api_keys
from shared.config import Settings
from shared.domain.errors import Unauthenticated
from shared.domain.models import Caller
from shared.ports.api_keys import ApiKeyRecord, ApiKeyStore
from shared.ports.id_tokens import IdTokenVerifier

_DEV_NAME = re.compile(r"[A-Za-z0-9_.@-]{1,128}")
_KEY_CACHE_S = 60.0


class Headers(Protocol):
    """Request headers, looked up case-insensitively by the web framework."""

    def get(self, key: str, /) -> str | None: ...


class DevAuthOnCloud(RuntimeError):
    """Dev tokens would let anyone act as anyone: never on a deployed function."""


def assert_safe(settings: Settings) -> None:
    if settings.auth_mode == "dev" and settings.on_cloud:
        raise DevAuthOnCloud(
            "HS_AUTH_MODE=dev refuses to run on Cloud Functions (K_SERVICE is set); "
            "use HS_AUTH_MODE=firebase"
        )


def dev_caller(token: str) -> Caller:
    parts = token.split(":")
    if parts[0] != "dev" or len(parts) not in (2, 3, 4):
        raise Unauthenticated(
            "dev mode expects 'dev:<tenant>:<user>[:<role>,...]' or 'dev:<user>'",
            code="invalid_token",
        )
    tenant, user = (parts[1], parts[2]) if len(parts) >= 3 else ("default", parts[1])
    roles = frozenset(parts[3].split(",")) if len(parts) == 4 else frozenset()
    if not all(_DEV_NAME.fullmatch(name) for name in (tenant, user, *roles)):
        raise Unauthenticated(
            "tenant, user and roles may use letters, digits and _.@- (1-128)",
            code="invalid_token",
        )
    return Caller(tenant_id=tenant, user_id=user, roles=roles, auth_method="dev")


class Authenticator:
    def __init__(
        self,
        settings: Settings,
        api_key_store: Callable[[], ApiKeyStore],
        id_tokens: Callable[[], IdTokenVerifier],
    ) -> None:
        assert_safe(settings)
        self._settings = settings
        self._api_key_store = api_key_store
        self._id_tokens = id_tokens
        self._cache: dict[str, tuple[float, ApiKeyRecord | None]] = {}
        self._cache_lock = threading.Lock()

    def authenticate(self, headers: Headers) -> Caller:
        api_key = headers.get("X-API-Key")
        if api_key:
            return self._api_key(api_key.strip())
        # Behind API Gateway, `Authorization` holds the gateway's own token for invoking the
        # function and the caller's moves to `X-Forwarded-Authorization`. Either way the token
        # is verified below, so a forged header grants nothing.
        header = headers.get("X-Forwarded-Authorization") or headers.get("Authorization")
        if not header:
            raise Unauthenticated("send 'Authorization: Bearer <token>'", code="unauthenticated")
        scheme, _, token = header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("Authorization must be 'Bearer <token>'", code="invalid_token")
        if api_keys.looks_like_key(token):
            return self._api_key(token)
        if self._settings.auth_mode == "dev":
            return dev_caller(token)
        return self._firebase(token)

    # --- API keys -------------------------------------------------------------------------------

    def _api_key(self, key: str) -> Caller:
        if not api_keys.looks_like_key(key):
            raise Unauthenticated("not an API key", code="invalid_api_key")
        key_hash = api_keys.hash_key(key, self._settings.api_key_pepper)
        record = self._lookup(key_hash)
        if record is None or record.disabled:
            raise Unauthenticated("unknown or disabled API key", code="invalid_api_key")
        return Caller(
            tenant_id=record.tenant_id,
            user_id=record.user_id,
            roles=record.roles,
            auth_method="api_key",
        )

    def _lookup(self, key_hash: str) -> ApiKeyRecord | None:
        # A short cache keeps one Firestore read off most requests; a revoked key stops
        # working within _KEY_CACHE_S.
        now = time.monotonic()
        with self._cache_lock:
            hit = self._cache.get(key_hash)
        if hit is not None and now - hit[0] < _KEY_CACHE_S:
            return hit[1]
        record = self._api_key_store().get(key_hash)
        with self._cache_lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key_hash] = (now, record)
        return record

    # --- Firebase / Identity Platform ------------------------------------------------------------

    def _firebase(self, token: str) -> Caller:
        claims = self._id_tokens().verify(token)
        user = claims.get("sub")
        if not isinstance(user, str) or not user:
            raise Unauthenticated("ID token without a subject", code="invalid_token")
        firebase = claims.get("firebase")
        tenant = firebase.get("tenant") if isinstance(firebase, dict) else None
        return Caller(
            tenant_id=tenant or self._settings.default_tenant,
            user_id=user,
            auth_method="firebase",
        )
