"""The README's configuration table lists exactly the variables the code reads."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from hybrid_sessions.config import ENVIRONMENT as CLIENT_ENVIRONMENT
from shared.config import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def _env_names(settings: type[BaseSettings]) -> set[str]:
    names = set()
    prefix = settings.model_config.get("env_prefix", "")
    for field_name, field in settings.model_fields.items():
        alias = field.validation_alias
        if alias is None:
            names.add(f"{prefix}{field_name}".upper())
        elif isinstance(alias, AliasChoices):
            names.update(str(choice) for choice in alias.choices)
        else:
            names.add(str(alias))
    return names


def _documented() -> set[str]:
    section = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}


def test_every_setting_is_documented_and_nothing_else() -> None:
    # The server's settings, and those of the client distribution (clients/python), which
    # cannot import the server's package.
    code = _env_names(Settings) | {variable.name for variable in CLIENT_ENVIRONMENT}
    documented = _documented()
    assert code - documented == set(), "settings missing from README.md's table"
    assert documented - code == set(), "README.md documents variables the code does not read"
