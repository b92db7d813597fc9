"""Cold start: time and peak memory to import each function's module in a fresh process.

The floor is a process that imports only `functions_framework`; each function is measured
in the same kind of process, interleaved with the floor, and reported as its excess over it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks.report import Section
from benchmarks.stats import Summary

REPO = Path(__file__).resolve().parent.parent
FUNCTIONS = REPO / "functions"
# The targets: HTTP front doors must stay light; ingest and search may load SDKs.
TARGETS_S = {"chat": 0.5, "sessions": 0.5, "ingest": 1.5, "search": 1.5}
TARGET_MB = {"chat": 120, "sessions": 120}

_PROBE = """
import importlib.util, json, resource, sys, time
start = time.perf_counter()
import functions_framework
path = sys.argv[1]
if path:
    spec = importlib.util.spec_from_file_location("main", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["main"] = module
    spec.loader.exec_module(module)
elapsed = time.perf_counter() - start
try:
    # VmHWM is this process image's own peak; ru_maxrss would carry over the peak of the
    # parent that forked it (Linux keeps it across execve).
    with open("/proc/self/status") as status:
        line = next(l for l in status if l.startswith("VmHWM:"))
    peak_mb = int(line.split()[1]) / 1024
except (OSError, StopIteration):
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "peak_mb": peak_mb}))
"""


def _probe(main_py: Path | None) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(main_py or "")],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def function_names() -> list[str]:
    return sorted(p.parent.name for p in FUNCTIONS.glob("*/main.py"))


def run(repeats: int, only: tuple[str, ...] | None = None) -> Section:
    names = [n for n in function_names() if only is None or n in only]
    samples: dict[str, list[dict[str, float]]] = {"(floor)": [], **{n: [] for n in names}}
    for _ in range(repeats):
        samples["(floor)"].append(_probe(None))
        for name in names:
            samples[name].append(_probe(FUNCTIONS / name / "main.py"))

    floor_s = Summary.of([s["seconds"] for s in samples["(floor)"]], "s")
    floor_mb = Summary.of([s["peak_mb"] for s in samples["(floor)"]], "MB")
    section = Section(
        "Cold start (import in a fresh process)",
        ["module", "import s (median)", "IQR s", "peak MB", "+s over floor", "+MB over floor"],
    )
    section.rows.append(
        [
            "functions_framework only",
            floor_s.median,
            f"{floor_s.p25:.3f}..{floor_s.p75:.3f}",
            floor_mb.median,
            0.0,
            0.0,
        ]
    )
    for name in names:
        secs = Summary.of([s["seconds"] for s in samples[name]], "s")
        mb = Summary.of([s["peak_mb"] for s in samples[name]], "MB")
        extra_s, extra_mb = secs.median - floor_s.median, mb.median - floor_mb.median
        section.rows.append(
            [name, secs.median, f"{secs.p25:.3f}..{secs.p75:.3f}", mb.median, extra_s, extra_mb]
        )
        section.data[name] = {"seconds": secs.as_dict(), "peak_mb": mb.as_dict()}
        if name in TARGETS_S:
            section.target(f"{name} import time over floor", extra_s, TARGETS_S[name], " s")
        if name in TARGET_MB:
            section.target(f"{name} peak memory over floor", extra_mb, TARGET_MB[name], " MB")
    section.data["floor"] = {"seconds": floor_s.as_dict(), "peak_mb": floor_mb.as_dict()}
    section.notes.append(
        f"{repeats} fresh processes per module, interleaved with the floor; peak memory is the "
        "process's VmHWM. Clients and services are built on the first request, which pays for "
        "them on top of these figures."
    )
    return section
