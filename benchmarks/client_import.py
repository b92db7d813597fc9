"""Client cold import: the Python client's import time in a fresh process, against a bare
`import httpx` (the one library it depends on), interleaved in the same run.

Target (issue 17): `from hybrid_sessions import ConversationAgent, HybridSessionsClient` costs at
most 1.5x `import httpx`, in CPU time. Shown beside it, without a target: the async client (it
loads asyncio on first use) and the `hs` command's module.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile

from benchmarks.report import Section
from benchmarks.stats import Summary, ratio

TARGET_RATIO = 1.5

# CPU time of the import is the figure compared: on a shared machine, wall time mostly measures
# the other processes (both are reported).
_PROBE = """
import json, sys, time
wall, cpu = time.perf_counter(), time.process_time()
exec(sys.argv[1])
print(json.dumps({"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall}))
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


def _probe(statement: str, cwd: str) -> dict[str, float]:
    # A directory outside the repository: only what is installed in the venv is importable.
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, statement],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    sample: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return sample


def run(quick: bool) -> Section:
    repeats = 3 if quick else 15
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in CASES}
    with tempfile.TemporaryDirectory() as cwd:
        for _ in range(repeats):
            for name, statement in CASES.items():
                samples[name].append(_probe(statement, cwd))

    def summary(name: str, kind: str) -> Summary:
        return Summary.of([sample[kind] for sample in samples[name]], "s")

    baseline = summary("import httpx (baseline)", "cpu")
    section = Section(
        "Python client cold import (fresh process)",
        ["import", "CPU s (median)", "IQR s", "x import httpx (CPU)", "wall s (median)"],
    )
    for name in CASES:
        cpu, wall = summary(name, "cpu"), summary(name, "wall")
        section.rows.append(
            [
                name,
                cpu.median,
                f"{cpu.p25:.4f}..{cpu.p75:.4f}",
                round(ratio(cpu, baseline), 2),
                wall.median,
            ]
        )
        section.data[name] = {"cpu": cpu.as_dict(), "wall": wall.as_dict()}
    client = summary("hybrid_sessions (sync client, agent)", "cpu")
    section.target("client import / import httpx (CPU)", ratio(client, baseline), TARGET_RATIO, "x")
    section.notes.append(
        f"{repeats} fresh processes per row, interleaved; each times only its import statement "
        "(interpreter start excluded), from a directory outside the repository."
    )
    return section
