"""The versions and the compatibility rule of clients/README.md, checked."""

from __future__ import annotations

import json
import re
import tomllib

import pytest
import yaml

from emulators.launcher import REPO_ROOT
from hybrid_sessions import API_VERSION, __version__, is_compatible

CLIENTS = REPO_ROOT / "clients"


def _api_version() -> str:
    spec = yaml.safe_load((REPO_ROOT / "infra/api/openapi.yaml").read_text(encoding="utf-8"))
    return str(spec["info"]["version"])


def _major(version: str) -> int:
    return int(version.split(".", 1)[0])


def test_the_api_version_is_semver() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", _api_version())


def test_the_python_client_is_generated_from_this_api_version_and_shares_its_major() -> None:
    project = tomllib.loads((CLIENTS / "python/pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["version"] == __version__
    assert _api_version() == API_VERSION
    assert _major(__version__) == _major(API_VERSION)
    assert is_compatible(_api_version())


def test_the_typescript_client_is_generated_from_this_api_version_and_shares_its_major() -> None:
    package = json.loads((CLIENTS / "typescript/package.json").read_text(encoding="utf-8"))
    version = (CLIENTS / "typescript/src/version.ts").read_text(encoding="utf-8")
    declared = re.search(r'CLIENT_VERSION = "([^"]+)"', version)
    api = re.search(r'API_VERSION = "([^"]+)"', version)
    assert declared and api, "src/version.ts declares CLIENT_VERSION and API_VERSION"
    assert declared.group(1) == package["version"]
    assert api.group(1) == _api_version()
    assert _major(package["version"]) == _major(_api_version())


@pytest.mark.parametrize(
    ("server", "client", "compatible"),
    [
        ("1.0.0", "1.0.0", True),
        ("1.3.2", "1.0.0", True),  # an older client against a newer server of its major
        ("1.0.5", "1.0.0", True),
        ("1.0.0", "1.2.0", False),  # the client may call routes this server lacks
        ("2.0.0", "1.0.0", False),  # a new major breaks
        ("1.9.0", "2.0.0", False),
    ],
)
def test_the_compatibility_rule(server: str, client: str, compatible: bool) -> None:
    assert is_compatible(server, client) is compatible
