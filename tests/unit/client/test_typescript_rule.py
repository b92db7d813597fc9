"""Without Node the TypeScript client's tests skip with a warning, except under CI=true, where
they fail: CI can never pass by skipping them."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from tests.integration import test_typescript_client as ts


def test_a_missing_node_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name, path=None: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="never a skip"):
        ts._tools()


def test_a_missing_node_skips_loudly_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name, path=None: None)
    monkeypatch.delenv("CI", raising=False)
    with (
        pytest.warns(pytest.PytestWarning, match="DID NOT RUN"),
        pytest.raises(pytest.skip.Exception),
    ):
        ts._tools()


def test_the_venvs_node_comes_first_then_the_machines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name, path=None: f"{path or '/usr/bin'}/{name}")
    venv_bin = str(Path(sys.executable).parent)
    assert ts._tools() == (f"{venv_bin}/node", f"{venv_bin}/npm")

    monkeypatch.setattr(shutil, "which", lambda name, path=None: None if path else f"/usr/{name}")
    assert ts._tools() == ("/usr/node", "/usr/npm")
