"""`python -m emulators` (`make run`): the whole local stack until Ctrl-C.

Every option has a flag and an environment variable (read here and nowhere else, since product
code never needs them): `HS_STACK_HOST`, `HS_STACK_<COMPONENT>_PORT` (e.g.
`HS_STACK_FIRESTORE_PORT`, `HS_STACK_BIGQUERY_GRPC_PORT`), `HS_STACK_DATA_DIR`,
`HS_STACK_LOG_DIR`, and `HS_EMULATORS=official` for Google's gcloud emulators of Firestore and
Pub/Sub.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from emulators.launcher import REPO_ROOT
from emulators.stack import DEFAULT_PORTS, Stack, StackConfig


def parse_args(argv: list[str] | None = None) -> StackConfig:
    env = os.environ
    parser = argparse.ArgumentParser(
        prog="python -m emulators",
        description="Start the hybrid-sessions local stack: emulators, functions, gateway.",
    )
    parser.add_argument(
        "--host",
        default=env.get("HS_STACK_HOST", "127.0.0.1"),
        help="address every component binds (default 127.0.0.1, or $HS_STACK_HOST)",
    )
    for name, default in DEFAULT_PORTS.items():
        variable = f"HS_STACK_{name.upper()}_PORT"
        parser.add_argument(
            f"--{name.replace('_', '-')}-port",
            dest=name,
            type=int,  # argparse converts (and checks) a string default too: the env value
            default=env.get(variable, str(default)),
            metavar="PORT",
            help=f"default {default}, or ${variable}",
        )
    parser.add_argument(
        "--official",
        action="store_true",
        default=env.get("HS_EMULATORS", "builtin") == "official",
        help="Google's gcloud Firestore and Pub/Sub emulators (or HS_EMULATORS=official).",
    )
    parser.add_argument(
        "--firestore-locks",
        choices=("optimistic", "pessimistic"),
        default=env.get("HS_STACK_FIRESTORE_LOCKS", "optimistic"),
        help="Our Firestore emulator's transactions: optimistic (default), or pessimistic, "
        "locking like Google's emulator (or $HS_STACK_FIRESTORE_LOCKS).",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(env["HS_STACK_DATA_DIR"]) if env.get("HS_STACK_DATA_DIR") else None,
        help="Keep Firestore and BigQuery data there between runs (default: in memory).",
    )
    parser.add_argument(
        "--log-dir",
        type=Path,
        default=Path(env.get("HS_STACK_LOG_DIR", REPO_ROOT / "build" / "stack-logs")),
        help="One log file per component (default build/stack-logs).",
    )
    args = parser.parse_args(argv)
    return StackConfig(
        host=args.host,
        ports={name: getattr(args, name) for name in DEFAULT_PORTS},
        official=args.official,
        firestore_locks=args.firestore_locks,
        data_dir=args.data_dir,
        log_dir=args.log_dir,
    )


def describe(stack: Stack) -> str:
    config = stack.config
    lines = [
        f"hybrid-sessions local stack is up in {stack.startup_seconds:.1f} s "
        f"(project {config.settings.project}, "
        f"{'official gcloud' if config.official else 'built-in'} emulators)",
        "",
    ]
    for component in stack.components:
        addresses = ", ".join(config.address(port) for port in component.ports)
        ready = stack.ready_after.get(component.name, 0.0)
        log = stack.log_path(component.name)
        lines.append(f"  {component.name:<11} {addresses:<34} {ready:4.1f} s  log: {log}")
    for name, reason in stack.skipped.items():
        lines.append(f"  {name:<11} skipped: {reason}")
    if stack.provisioned:
        lines += ["", "Provisioned:", *(f"  {resource}" for resource in stack.provisioned)]
    lines += ["", "To use it from another shell:"]
    lines += [f"  export {key}={value}" for key, value in stack.env.items()]
    if stack.has("gateway"):
        lines += ["", f"API: {stack.url('gateway')}/v1/  (Authorization: Bearer dev:<user>)"]
        if (stack.config.console_dir / "index.html").is_file():
            lines += [f"Console: {stack.url('gateway')}/  (make console builds it; make run does)"]
    lines += ["", "Ctrl-C stops everything."]
    return "\n".join(lines)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    config = parse_args(argv)
    # SIGTERM (from a supervisor, or `kill`) stops the stack exactly as Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        stack = Stack(
            config, on_ready=lambda name, s: print(f"  {name:<11} {s:5.1f} s", flush=True)
        )
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        print("starting:", ", ".join(c.name for c in stack.components), flush=True)
        stack.start()
        print(describe(stack), flush=True)
        while not (dead := stack.exited()):
            time.sleep(0.5)
        print(
            f"stopping: {', '.join(dead)} exited; see "
            + ", ".join(str(stack.log_path(name)) for name in dead),
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        print("\nstopping...", flush=True)
        return 0
    except Exception as exc:
        print(f"the stack did not start: {exc}", file=sys.stderr)
        return 1
    finally:
        # A second Ctrl-C must not interrupt the stopping and leave processes behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
        print("stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
