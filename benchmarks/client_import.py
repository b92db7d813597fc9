"""Client cold import: the Python client's import time in a fresh process, against a bare
`import httpx` (the one library it depends on), interleaved in the same run.

Target (issue 17): `from hybrid_sessions import ConversationAgent, HybridSessionsClient` costs at
most 1.5x `import httpx`. Shown beside it, without a target: the async client (it loads asyncio
on first use) and the `hs` command's module.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile

from benchmarks.report import Section
from benchmarks.stats import Summary, ratio

TARGET_RATIO = 1.5

_PROBE = """
import json, sys, time
start = time.perf_counter()
exec(sys.argv[1])
print(json.dumps({"seconds": time.perf_counter() - start}))
"""

BASELINE = "import httpx"
CASES = {
    "import httpx (baseline)": BASELINE,
    "hybrid_sessions (sync client, agent)": (
        "from hybrid_sessions import ConversationAgent, HybridSessionsClient"
    ),
    "hybrid_sessions + async client": (
        "from hybrid_sessions import AsyncHybridSessionsClient, ConversationAgent"
    ),
    "hs command (hybrid_sessions.cli.main)": "import hybrid_sessions.cli.main",
}


def _probe(statement: str, cwd: str) -> float:
    # A directory outside the repository: only what is installed in the venv is importable.
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, statement],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return float(json.loads(out.stdout.strip().splitlines()[-1])["seconds"])


def run(quick: bool) -> Section:
    repeats = 3 if quick else 15
    samples: dict[str, list[float]] = {name: [] for name in CASES}
    with tempfile.TemporaryDirectory() as cwd:
        for _ in range(repeats):
            for name, statement in CASES.items():
                samples[name].append(_probe(statement, cwd))

    baseline = Summary.of(samples["import httpx (baseline)"], "s")
    section = Section(
        "Python client cold import (fresh process)",
        ["import", "median s", "IQR s", "x import httpx"],
    )
    for name in CASES:
        summary = Summary.of(samples[name], "s")
        section.rows.append(
            [
                name,
                summary.median,
                f"{summary.p25:.4f}..{summary.p75:.4f}",
                round(ratio(summary, baseline), 2),
            ]
        )
        section.data[name] = summary.as_dict()
    client = Summary.of(samples["hybrid_sessions (sync client, agent)"], "s")
    section.target("client import / import httpx", ratio(client, baseline), TARGET_RATIO, "x")
    section.notes.append(
        f"{repeats} fresh processes per row, interleaved; each times only its import statement "
        "(interpreter start excluded), from a directory outside the repository."
    )
    return section
