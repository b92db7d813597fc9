"""Versions and the compatibility rule between this client and the API it talks to.

The rule (written down in clients/README.md, checked by tests/unit/client/test_versions.py):

- The API is versioned by `info.version` of infra/api/openapi.yaml, MAJOR.MINOR.PATCH. Within a
  major version the API only grows: new routes, new optional request fields, new response
  fields. A breaking change is a new major, served under a new path prefix (`/v2/`).
- A client is generated from one API version (`API_VERSION`) and carries the same MAJOR as its
  own version's major. It talks to every server whose API has that major and a minor at least
  the client's: clients ignore response fields they do not know, so an older client keeps
  working against a newer server of the same major. A client newer than the server (a higher
  minor) may call routes the server does not have yet, which answer 404.
"""

from __future__ import annotations

from hybrid_sessions.models import API_VERSION

__version__ = "1.0.0"
"""This distribution's version (pyproject.toml says the same; a test checks)."""

__all__ = ["API_VERSION", "__version__", "is_compatible"]


def _major_minor(version: str) -> tuple[int, int]:
    major, minor, *_ = (int(part) for part in version.split("-", 1)[0].split("."))
    return major, minor


def is_compatible(server_api_version: str, client_api_version: str = API_VERSION) -> bool:
    """Whether a client generated from `client_api_version` can talk to a server whose API is
    `server_api_version`: same major, and the server's minor at least the client's."""
    server, client = _major_minor(server_api_version), _major_minor(client_api_version)
    return server[0] == client[0] and server[1] >= client[1]
