"""The offline launcher's one patch is scoped to startup. (`--data-dir` persistence is checked
through the stack: tests/integration/test_stack.py, the outage test.)"""

from __future__ import annotations


def test_offline_engine_restores_the_engine_after_startup() -> None:
    from bqemulator.storage.engine import DuckDBEngine

    from emulators.bigquery.server import offline_engine

    original = DuckDBEngine._load_spatial
    with offline_engine():
        assert DuckDBEngine._load_spatial is not original
    assert DuckDBEngine._load_spatial is original
