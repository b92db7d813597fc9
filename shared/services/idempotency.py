"""Idempotency keys: a retried request returns the first one's result, never runs twice.

The key is claimed in a transaction before any work (so two concurrent duplicates cannot both
call the LLM), and the result is written in the same transaction as the messages it describes,
so a stored result always means stored messages and the other way round.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.domain import validation
from shared.domain.errors import HybridSessionsError, InvalidInput
from shared.domain.models import Caller
from shared.ports.session_store import IdempotencyClaim, SessionStore, StoredResponse

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Result:
    """What an idempotent operation answers: status (201 created / 200) and JSON body."""

    status: int
    body: dict[str, Any]


def check_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not validation.is_idempotency_key(key):
        raise InvalidInput(
            f"Idempotency-Key must be 1-{validation.MAX_IDEMPOTENCY_KEY_CHARS} printable ASCII "
            "characters",
            code="invalid_idempotency_key",
        )
    return key


def fingerprint(operation: str, request: dict[str, Any]) -> str:
    text = json.dumps({"op": operation, "request": request}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class Idempotency:
    def __init__(self, store: SessionStore, *, lease_s: float, ttl_s: float) -> None:
        self._store = store
        self._lease_s = lease_s
        self._ttl_s = ttl_s

    def claim(
        self,
        caller: Caller,
        key: str | None,
        operation: str,
        request: dict[str, Any],
        now: datetime,
    ) -> tuple[IdempotencyClaim | None, Result | None]:
        """(claim, None) when the work should run, (None, stored result) for a replay,
        (None, None) without a key."""
        if key is None:
            return None, None
        claim = IdempotencyClaim(
            tenant_id=caller.tenant_id,
            user_id=caller.user_id,
            key=key,
            fingerprint=fingerprint(operation, request),
            now=now,
            lease_s=self._lease_s,
            ttl_s=self._ttl_s,
        )
        stored: StoredResponse | None = self._store.claim_idempotency(claim)
        if stored is not None:
            return None, Result(stored.status, stored.body)
        return claim, None

    def release(self, claim: IdempotencyClaim | None) -> None:
        """Best effort: the request is failing already, and an unreleased claim expires with
        its lease."""
        if claim is None:
            return
        try:
            self._store.release_idempotency(claim)
        except HybridSessionsError as err:
            log.warning("idempotency claim not released: %s", err.message)
