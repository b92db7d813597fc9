"""The environment variables the client reads, in one place: `hs` uses them, apps may too
(`ClientConfig.from_env()`), and the root README's configuration table lists them (a test
checks). The server's settings live in the server's own shared/config.py."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class EnvVar:
    name: str
    default: str | None
    description: str

    def read(self, environ: Mapping[str, str]) -> str | None:
        return environ.get(self.name) or self.default


API_URL = EnvVar("HS_API_URL", "http://127.0.0.1:8000", "Base URL of the API (gateway).")
API_TOKEN = EnvVar(
    "HS_API_TOKEN", None, "Bearer token for the CLI: an ID token, an API key, or dev:<user>."
)
ENVIRONMENT = (API_URL, API_TOKEN)
"""Every variable the client reads."""


@dataclass(frozen=True)
class ClientConfig:
    api_url: str
    api_token: str | None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ClientConfig:
        env = os.environ if environ is None else environ
        return cls(api_url=API_URL.read(env) or "", api_token=API_TOKEN.read(env))
