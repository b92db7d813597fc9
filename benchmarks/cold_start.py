"""Cold start: time and peak memory to import each function's module in a fresh process.

The floor is a process that imports only `functions_framework`; each function is measured
in the same kind of process, interleaved with the floor, and reported as its excess over it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

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


# --- the first request: import plus first request is the cold start (issue 13) ---------------

FIRST_REQUEST_TARGET_S = 1.0  # import + first request, over a warm request's server time


def _chat_turn(client: Any, url: str, session_id: str | None, i: int) -> tuple[float, str]:
    body: dict[str, Any] = {"message": f"cold start question {i}"}
    if session_id:
        body["session_id"] = session_id
    start = time.perf_counter()
    response = client.post(
        f"{url}/v1/chat", json=body, headers={"Authorization": "Bearer dev:bench:cold"}, timeout=120
    )
    elapsed = time.perf_counter() - start
    response.raise_for_status()
    answer = response.json()
    return max(elapsed - answer["usage"]["latency_ms"] / 1000.0, 0.0), answer["session_id"]


def _one_instance(bench: Any, idle_s: float, warm_turns: int) -> dict[str, Any]:
    """A fresh chat function process: seconds until it listens, its first turn (sent
    `idle_s` after that) and the median of `warm_turns` more, LLM time subtracted."""
    import requests

    from emulators.launcher import ManagedProcess, free_port, python_module

    port = free_port()
    proc = ManagedProcess(
        name="chat-cold",
        argv=python_module(
            "functions_framework",
            "--source",
            str(FUNCTIONS / "chat" / "main.py"),
            "--target",
            "chat",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ),
        host="127.0.0.1",
        port=port,
        env={**bench.stack.env, "PYTHONPATH": str(REPO)},
        log_path=REPO / "build" / "bench-logs" / f"chat-cold-{port}.log",
    )
    spawned = time.perf_counter()
    proc.start(timeout=120)
    try:
        listening_s = time.perf_counter() - spawned
        time.sleep(idle_s)
        url = f"http://127.0.0.1:{port}"
        with requests.Session() as client:
            first_s, session_id = _chat_turn(client, url, None, 0)
            warm = [_chat_turn(client, url, session_id, i + 1)[0] for i in range(warm_turns)]
    finally:
        proc.stop()
    return {
        "listening_s": listening_s,
        "first_s": first_s,
        "warm_s": Summary.of(warm, "s").median,
    }


def run_first_request(bench: Any, plan: Any, report: Any) -> Section:
    section = Section(
        "First request (a fresh chat function process; LLM time subtracted)",
        ["case", "spawn to listening s", "first turn s", "warm turn s (median)", "n"],
    )
    cold = report.section("cold_start")
    chat_import = cold.data.get("chat", {}).get("seconds", {}).get("median") if cold else None
    warm_turns = 5 if not plan.quick else 2
    cases = {
        "first turn as soon as the port listens": 0.0,
        "first turn 5 s after (instance started ahead of its traffic)": 5.0,
    }
    results: dict[str, list[dict[str, Any]]] = {case: [] for case in cases}
    for _ in range(1 if plan.quick else 3):
        for case, idle_s in cases.items():
            results[case].append(_one_instance(bench, idle_s, warm_turns))
    for case, runs in results.items():
        summary = {
            k: Summary.of([r[k] for r in runs], "s").median
            for k in ("listening_s", "first_s", "warm_s")
        }
        section.rows.append(
            [case, summary["listening_s"], summary["first_s"], summary["warm_s"], len(runs)]
        )
        section.data[case] = summary
    immediate = section.data[next(iter(cases))]
    imported = chat_import if chat_import is not None else immediate["listening_s"]
    over = imported + immediate["first_s"] - immediate["warm_s"]
    section.data["cold_over_warm_s"] = over
    section.target("chat import + first turn, over a warm turn", over, FIRST_REQUEST_TARGET_S, " s")
    section.notes += [
        f"Cold start = the chat module's import ({imported:.2f} s, "
        + ("the cold start table's median" if chat_import is not None else "spawn to listening")
        + f") + the first turn's time as its client sees it ({immediate['first_s']:.2f} s), "
        f"against a warm turn ({immediate['warm_s'] * 1000:.0f} ms).",
        "Each process is functions-framework (gunicorn, as deployed): the serving worker "
        "starts building its clients in the background as soon as it is forked "
        "(shared.bootstrap.warm_up); a first turn that comes sooner waits for that work "
        "instead of repeating it. The second case shows what the warm-up saves when the "
        "platform starts the instance before its first request.",
        "Turns go straight to the function (no gateway), a new session each first turn.",
    ]
    return section
