"""`python -m emulators.bigquery --host H --port 9050 --grpc-port 9060 [--data-dir DIR]`."""

from __future__ import annotations

import argparse
from pathlib import Path

from emulators.bigquery.options import (
    DEFAULT_GRPC_PORT,
    DEFAULT_REST_PORT,
    Options,
    configure_logging,
)


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m emulators.bigquery",
        description="BigQuery emulator (bqemulator, offline): REST and Storage gRPC APIs.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="Bind host for REST and gRPC.")
    parser.add_argument("--port", type=int, default=DEFAULT_REST_PORT, help="REST port.")
    parser.add_argument("--grpc-port", type=int, default=DEFAULT_GRPC_PORT, help="gRPC port.")
    parser.add_argument("--project", default="hs-local", help="Project of requests without one.")
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="Keep data in DIR (default: in memory)."
    )
    parser.add_argument(
        "--log-level",
        default="warning",
        choices=["debug", "info", "warning", "error"],
        help="bqemulator's log level.",
    )
    args = parser.parse_args(argv)
    return Options(
        host=args.host,
        port=args.port,
        grpc_port=args.grpc_port,
        project=args.project,
        data_dir=args.data_dir,
        log_level=args.log_level,
    )


def main(argv: list[str] | None = None) -> None:
    options = parse_args(argv)
    configure_logging(options.log_level)
    from emulators.bigquery.server import run  # after logging: bqemulator logs at import

    run(options)


if __name__ == "__main__":
    main()
