"""Firebase ID tokens checked with google-auth: signature against Google's rotating public keys,
audience and issuer against one project, expiry with a little clock skew."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import google.auth.exceptions
from google.auth.transport import Request
from google.auth.transport import requests as google_requests
from google.oauth2 import id_token

from shared.domain.errors import Unauthenticated, Unavailable
from shared.ports.id_tokens import IdTokenVerifier

if TYPE_CHECKING:
    from shared.config import Settings

_CLOCK_SKEW_S = 10


class FirebaseIdTokenVerifier(IdTokenVerifier):
    def __init__(self, http: Request, project: str) -> None:
        self._http = http
        self._project = project

    @classmethod
    def from_settings(cls, settings: Settings) -> FirebaseIdTokenVerifier:
        # The session (and its cache of Google's keys) is built once per process.
        return cls(google_requests.Request(), settings.firebase_project or settings.project)

    def verify(self, token: str) -> Mapping[str, object]:
        try:
            claims: Mapping[str, object] = id_token.verify_firebase_token(
                token, self._http, audience=self._project, clock_skew_in_seconds=_CLOCK_SKEW_S
            )
        except google.auth.exceptions.TransportError as exc:
            raise Unavailable("cannot fetch Google's token keys", code="auth_unavailable") from exc
        except (ValueError, google.auth.exceptions.GoogleAuthError) as exc:
            raise Unauthenticated(
                "the ID token does not verify", code="invalid_token", detail=str(exc)
            ) from exc
        if claims.get("iss") != f"https://securetoken.google.com/{self._project}":
            raise Unauthenticated("ID token of another project", code="invalid_token")
        return claims
