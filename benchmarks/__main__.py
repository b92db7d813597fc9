"""`python -m benchmarks [--quick] [--only NAME ...] [--out DIR]`: `make bench`, `make bench-quick`.

Starts one local stack, runs each section against it, and writes `DIR/latest.{json,md}` (plus a
timestamped copy). A section that fails is recorded as an error in the report and the others
still run; the exit status is 1 if any failed. A full run (not --quick, not --only) rewrites the
summary in benchmarks/README.md; a run with --official (not --quick) rewrites the summary of the
cross-check on Google's emulators there.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks import (
    client_import,
    cold_start,
    cost,
    hot_session,
    ingest,
    lookup,
    peer_compare,
    search,
    turns,
)
from benchmarks.harness import Bench
from benchmarks.plan import FULL, QUICK, Plan
from benchmarks.report import Report, Section
from benchmarks.retrieval import bench as retrieval

HERE = Path(__file__).resolve().parent
Runner = Callable[[Bench | None, Plan, Report], Section]


def _up(bench: Bench | None) -> Bench:
    if bench is None or bench.stack is None:
        raise RuntimeError("this section needs the local stack")
    return bench


SECTIONS: dict[str, Runner] = {
    "cold_start": lambda bench, plan, report: cold_start.run(
        plan.cold_start_repeats, only=("chat",) if plan.quick else None
    ),
    "client_import": lambda bench, plan, report: client_import.run(plan.quick),
    "first_request": lambda bench, plan, report: cold_start.run_first_request(
        _up(bench), plan, report
    ),
    "turns": lambda bench, plan, report: turns.run(_up(bench), plan),
    "peer": lambda bench, plan, report: peer_compare.run(_up(bench), plan),
    "hot_session": lambda bench, plan, report: hot_session.run(_up(bench), plan),
    "lookup": lambda bench, plan, report: lookup.run(_up(bench), plan),
    "ingest": lambda bench, plan, report: ingest.run(_up(bench), plan),
    "search": lambda bench, plan, report: search.run(_up(bench), plan),
    "retrieval": lambda bench, plan, report: retrieval.run(_up(bench), plan),
    "cost": lambda bench, plan, report: cost.run(report),
}
"""Sections in the order they run; cold start runs before the stack, cost after it."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: harness check only")
    parser.add_argument("--only", nargs="+", choices=list(SECTIONS), help="run these sections")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument(
        "--official",
        action="store_true",
        help="Google's gcloud Firestore and Pub/Sub emulators instead of ours (no README update)",
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    names = args.only or list(SECTIONS)
    report = Report(quick=args.quick, emulators="official" if args.official else "ours")
    began = time.monotonic()

    def run(name: str, bench: Bench | None) -> None:
        started = time.monotonic()
        print(f"[bench] {name} ...", flush=True)
        try:
            # Let the ingest function finish what earlier sections published first.
            idle = name not in needs_stack or bench is None or bench.wait_idle(plan.idle_quiet_s)
            section = SECTIONS[name](bench, plan, report)
            if not idle:
                section.notes.append(
                    "The ingest function was still busy with earlier sections' events when "
                    "this section started: its figures share the machine with that work."
                )
        except Exception as exc:  # one broken section must not hide the others' results
            traceback.print_exc()
            report.errors.append(f"{name}: {type(exc).__name__}: {exc}")
            section = Section(name, ["error"], rows=[[f"{type(exc).__name__}: {exc}"]])
            section.data["failed"] = True
        section.key = name
        section.seconds = time.monotonic() - started
        report.sections.append(section)
        print(f"[bench] {name} done in {section.seconds:.0f} s", flush=True)

    before_stack = ("cold_start", "client_import")  # fresh processes, the CPU to themselves
    needs_stack = [n for n in names if n not in (*before_stack, "cost")]
    bench = Bench(official=args.official)
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            # A full run measures cold start before the stack exists, so its fresh processes
            # do not share the CPU with it; a quick run overlaps the two to save time.
            starting = pool.submit(bench.start) if needs_stack and args.quick else None
            for name in before_stack:
                if name in names:
                    run(name, bench)
            if needs_stack:
                try:
                    (starting.result() if starting else bench.start())
                    print(f"[bench] stack up in {bench.startup_s:.0f} s", flush=True)
                    report.stack_seconds = bench.startup_s
                except Exception as exc:
                    traceback.print_exc()
                    report.errors.append(f"stack: {type(exc).__name__}: {exc}")
                else:
                    for name in needs_stack:
                        run(name, bench)
    finally:
        bench.close()
    if "cost" in names:
        run("cost", None)
    report.total_seconds = time.monotonic() - began
    latest = report.write(args.out)
    print(f"[bench] report: {latest} ({report.total_seconds:.0f} s)", flush=True)
    # The README keeps real runs only: the full run, and the cross-check on Google's emulators.
    block = None
    if not args.quick:
        block = "bench-official" if args.official else None if args.only else "bench"
    if block is not None:
        report.update_readme(HERE / "README.md", block)
        print(f"[bench] benchmarks/README.md updated ({block})", flush=True)
    for error in report.errors:
        print(f"[bench] ERROR {error}", file=sys.stderr)
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
