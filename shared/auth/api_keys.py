"""API keys: `hsk_` + 43 random url-safe characters, shown once, stored as a hash.

The hash is HMAC-SHA256 with a pepper from Secret Manager (`HS_API_KEY_PEPPER`), or plain
SHA-256 without one (local stacks). Keys carry 256 bits of entropy, so a fast hash is enough;
the pepper makes a leaked key table useless without the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

PREFIX = "hsk_"


def generate() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str, pepper: str | None) -> str:
    if pepper:
        return hmac.new(pepper.encode(), key.encode(), hashlib.sha256).hexdigest()
    return hashlib.sha256(key.encode()).hexdigest()


def looks_like_key(token: str) -> bool:
    return token.startswith(PREFIX) and 16 <= len(token) <= 256
