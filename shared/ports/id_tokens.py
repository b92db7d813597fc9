"""The ID token port: a bearer token in, the claims its issuer vouches for out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping


class IdTokenVerifier(ABC):
    @abstractmethod
    def verify(self, token: str) -> Mapping[str, object]:
        """The token's claims once its signature, audience, issuer and expiry hold.

        Raises `Unauthenticated(invalid_token)` for a token that does not verify and
        `Unavailable(auth_unavailable)` when the issuer's keys cannot be fetched.
        """
