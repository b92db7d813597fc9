"""`python -m emulators.firestore --host 127.0.0.1 --port 8080 [--indexes F] [--strict-indexes]
[--data-dir DIR] [--transaction-locks pessimistic [--lock-timeout S]]`: run the Firestore
emulator until SIGTERM / SIGINT."""

from __future__ import annotations

import argparse
import logging
import sys

from emulators.serve import serve_until_signalled

from .locks import DEFAULT_LOCK_TIMEOUT_S
from .server import TRANSACTION_LOCKS, Server


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m emulators.firestore", description=__doc__)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--indexes", help="firestore.indexes.json to read (re-read when it changes)")
    ap.add_argument(
        "--strict-indexes",
        action="store_true",
        help="reject queries that need a composite index the file does not declare",
    )
    ap.add_argument("--data-dir", help="load documents from / save them to this directory")
    ap.add_argument("--save-interval", type=float, default=30.0, help="seconds between saves")
    ap.add_argument(
        "--transaction-locks",
        choices=TRANSACTION_LOCKS,
        default="optimistic",
        help="optimistic: conflicts abort at commit; pessimistic: reads lock and writers wait, "
        "as on Google's emulator",
    )
    ap.add_argument(
        "--lock-timeout",
        type=float,
        default=DEFAULT_LOCK_TIMEOUT_S,
        help="pessimistic: seconds a write waits for a lock before ABORTED (Google's: 2)",
    )
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    server = Server(
        args.host,
        args.port,
        indexes=args.indexes,
        strict_indexes=args.strict_indexes,
        data_dir=args.data_dir,
        save_interval_s=args.save_interval,
        transaction_locks=args.transaction_locks,
        lock_timeout_s=args.lock_timeout,
    ).start()
    mode = "strict indexes" if args.strict_indexes else "all queries allowed"
    mode += f", {args.transaction_locks} transactions"
    serve_until_signalled(
        server.stop,
        f"Firestore emulator listening on {server.address} ({mode})",
        f"   export FIRESTORE_EMULATOR_HOST={server.address}",
    )
    print("Firestore emulator stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
