"""Against a peer: the same turns through LangChain's `FirestoreChatMessageHistory`.

The peer runs in its own venv (`.venv-peer`, from `peer/requirements.txt`; its pins conflict
with ours) on the same Firestore emulator. A peer turn is what a LangChain app does per
exchange: load the history, add the user message, add the reply. Ours is the in-process turn of
the turn benchmark (instant LLM). Per size, our turns run before and after the peer's, so both
see the same machine. Without the peer venv (CI), the section says so and measures only ours.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from benchmarks.harness import Bench
from benchmarks.plan import Plan
from benchmarks.report import Section
from benchmarks.stats import Summary
from benchmarks.turns import turn_in_process
from emulators.launcher import REPO_ROOT

PEER_PYTHON = REPO_ROOT / ".venv-peer" / "bin" / "python"
PEER_SCRIPT = REPO_ROOT / "benchmarks" / "peer" / "run_peer.py"


def run_peer(bench: Bench, size: int, turns: int) -> dict:
    # os.environ already points at the stack (Bench.start); the peer reads the same variable.
    env = {**os.environ, "FIRESTORE_EMULATOR_HOST": bench.url("firestore").removeprefix("http://")}
    out = subprocess.run(
        [
            str(PEER_PYTHON),
            str(PEER_SCRIPT),
            "--project",
            "bench-peer",
            "--sizes",
            str(size),
            "--turns",
            str(turns),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=REPO_ROOT,
    )
    if out.returncode != 0:
        raise RuntimeError(f"peer run failed ({out.returncode}): {out.stderr[-500:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])["sizes"][str(size)]


def run(bench: Bench, plan: Plan) -> Section:
    section = Section(
        "Against a peer (LangChain FirestoreChatMessageHistory, same emulator)",
        ["messages in session", "ours median ms", "peer median ms", "ours / peer", "n each"],
    )
    have_peer = PEER_PYTHON.exists()
    for size in plan.peer_sizes:
        # A fresh session per size: the turn benchmark's small session has grown by now.
        session_id = bench.seed_session(size)
        ours: list[float] = []
        turn_in_process(bench, session_id, 0)  # warm-up
        half = max(plan.peer_turns // 2, 1)
        ours += [turn_in_process(bench, session_id, i) * 1000 for i in range(half)]
        peer = run_peer(bench, size, plan.peer_turns) if have_peer else None
        ours += [turn_in_process(bench, session_id, i) * 1000 for i in range(half)]
        mine = Summary.of(ours, "ms")
        row: list[object] = [f"{size:,}", mine.median]
        entry: dict[str, object] = {"ours": mine.as_dict()}
        if peer is None:
            row += ["not run", "-", mine.n]
        elif peer["error"] or not peer["seconds"]:
            row += [f"failed: {peer['error']}", "-", mine.n]
            entry["peer_error"] = peer["error"]
        else:
            theirs = Summary.of([s * 1000 for s in peer["seconds"]], "ms")
            row += [theirs.median, mine.median / theirs.median, f"{mine.n} / {theirs.n}"]
            entry["peer"] = theirs.as_dict()
            entry["ratio"] = mine.median / theirs.median
        section.rows.append(row)
        section.data[str(size)] = entry
    if not have_peer:
        section.notes.append(
            f"The peer was not run: {PEER_PYTHON.relative_to(REPO_ROOT)} does not exist "
            "(`make bench` creates it; `make bench-quick` does not)."
        )
    section.notes += [
        "A ratio below 1 means our turn is faster. Ours does more per turn by design: a "
        "transaction that gives gap-free sequence numbers, one document per message, the "
        "publish of both events and the published flag; the peer rewrites one document that "
        "holds the whole history, so its turn grows with the history (and stops at "
        "Firestore's 1 MiB document limit).",
        "Each peer turn builds a FirestoreChatMessageHistory (which loads the history) and adds "
        "the user message and the reply. Peer timings are taken inside its process.",
        f"Peer interpreter: {PEER_PYTHON.relative_to(REPO_ROOT)}; ours: Python "
        f"{sys.version.split()[0]}.",
    ]
    return section
