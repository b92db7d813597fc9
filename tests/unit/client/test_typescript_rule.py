"""Without Node the TypeScript client's tests skip with a warning, except under CI=true, where
they fail: CI can never pass by skipping them."""

from __future__ import annotations

import shutil

import pytest

from tests.integration import test_typescript_client as ts


def test_a_missing_node_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="never a skip"):
        ts._tools()


def test_a_missing_node_skips_loudly_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with (
        pytest.warns(pytest.PytestWarning, match="DID NOT RUN"),
        pytest.raises(pytest.skip.Exception),
    ):
        ts._tools()


def test_node_and_npm_are_found_when_present(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: f"/opt/bin/{name}")
    assert ts._tools() == ("/opt/bin/node", "/opt/bin/npm")
