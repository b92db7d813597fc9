"""Each function's pinned requirements are exactly what the lock gives for its extras.

The second line of every `functions/*/requirements.txt` is the `uv export` command that made it
(uv writes it), so relocking without `make requirements` fails here instead of deploying stale
pins.
"""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
UV = REPO / ".tools" / "bin" / "uv"
FILES = sorted((REPO / "functions").glob("*/requirements.txt"))


@pytest.mark.skipif(not UV.exists(), reason="make setup installs uv into .tools/")
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.parent.name)
def test_requirements_match_the_lock(path: Path) -> None:
    command = shlex.split(path.read_text().splitlines()[1].removeprefix("#"))
    assert command[:2] == ["uv", "export"] and "--frozen" in command
    exported = subprocess.run(
        [str(UV), *command[1:]], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    assert exported == path.read_text(), f"{path} is stale: run `make requirements`"
