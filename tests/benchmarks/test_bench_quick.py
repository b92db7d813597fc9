"""`make bench-quick`: the benchmark harness runs end to end and reports every section.

Runs `python -m benchmarks --quick` as CI does (its own local stack on free ports, tiny sizes)
and checks the report it writes: every section present, with rows, and no errors. A section
that crashes is recorded as an error by the runner, so this test fails on it. The numbers of a
quick run mean nothing and are not checked.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from benchmarks.__main__ import SECTIONS
from emulators.launcher import REPO_ROOT


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bench")
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=280,
    )
    latest = Path(out, "latest.json")
    assert latest.exists(), f"no report written; exit {run.returncode}\n{run.stderr[-3000:]}"
    report = json.loads(latest.read_text())
    report["_exit"] = run.returncode
    report["_stderr"] = run.stderr
    report["_seconds"] = time.monotonic() - started
    report["_markdown"] = Path(out, "latest.md").read_text()
    return report


def test_quick_run_reports_no_errors(quick_report: dict[str, Any], record_property: Any) -> None:
    record_property("bench_quick_seconds", round(quick_report["_seconds"], 1))
    assert quick_report["errors"] == [], quick_report["_stderr"][-3000:]
    assert quick_report["_exit"] == 0
    assert quick_report["quick"] is True


def test_quick_run_has_every_section_with_rows(quick_report: dict[str, Any]) -> None:
    sections = {s["key"]: s for s in quick_report["sections"]}
    assert set(sections) == set(SECTIONS)
    for key, section in sections.items():
        assert section["rows"], f"section {key} has no rows"
        assert not section["data"].get("failed"), f"section {key} failed"


def test_quick_run_writes_the_markdown_summary(quick_report: dict[str, Any]) -> None:
    markdown = quick_report["_markdown"]
    assert "quick: harness check only" in markdown
    for section in quick_report["sections"]:
        assert f"### {section['title']}" in markdown


def test_quick_run_counts_calls_on_the_wire(quick_report: dict[str, Any]) -> None:
    """The counters feed the cost model: a turn commits its 2 messages and the session, and
    publishes 2 events; an ingested message costs BigQuery and Vertex calls."""
    sections = {s["key"]: s for s in quick_report["sections"]}
    turn = sections["turns"]["data"]
    assert turn["rpcs_per_turn"]["Firestore.Commit"] >= 1
    assert turn["documents_per_turn"]["writes"] >= 3
    assert turn["documents_per_turn"]["pubsub_messages"] == 2
    handler = sections["ingest"]["data"]["handler"]["calls_per_message"]
    assert any(k.startswith("BigQuery") for k in handler)
    assert any(k.startswith("Vertex") for k in handler)
