"""`python -m emulators.pubsub --host 127.0.0.1 --port 8085 [--push-min-backoff S]
[--push-max-backoff S] [--push-max-outstanding N] [--push-workers N] [--push-timeout S]`:
run the Pub/Sub emulator until SIGTERM / SIGINT."""

from __future__ import annotations

import argparse
import logging
import sys

from emulators.serve import serve_until_signalled

from .server import Server


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m emulators.pubsub", description=__doc__)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8085)
    ap.add_argument(
        "--push-min-backoff",
        type=float,
        default=0.1,
        help="first redelivery delay of a failed push without a retry policy (Pub/Sub: 0.1 s)",
    )
    ap.add_argument(
        "--push-max-backoff",
        type=float,
        default=60.0,
        help="longest redelivery delay of a failed push without a retry policy (Pub/Sub: 60 s)",
    )
    ap.add_argument(
        "--push-max-outstanding",
        type=int,
        default=4,
        help="push requests in flight per subscription at most",
    )
    ap.add_argument("--push-workers", type=int, default=8, help="threads making push requests")
    ap.add_argument(
        "--push-timeout",
        type=float,
        default=None,
        help="cap on a push request's timeout (default: the ack deadline, as on Pub/Sub); tests",
    )
    ap.add_argument("--log-level", default="INFO")
    args = ap.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )

    server = Server(
        args.host,
        args.port,
        push_workers=args.push_workers,
        push_max_outstanding=args.push_max_outstanding,
        push_min_backoff_s=args.push_min_backoff,
        push_max_backoff_s=args.push_max_backoff,
        push_timeout_s=args.push_timeout,
    ).start()
    serve_until_signalled(
        server.stop,
        f"Pub/Sub emulator listening on {server.address}",
        f"   export PUBSUB_EMULATOR_HOST={server.address}",
    )
    print("Pub/Sub emulator stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
