"""Launch options of the BigQuery emulator, kept apart from `server` so that logging can be
configured before bqemulator is imported (its SQL translator logs at import time)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_REST_PORT = 9050
DEFAULT_GRPC_PORT = 9060


@dataclass(frozen=True)
class Options:
    host: str = "127.0.0.1"
    port: int = DEFAULT_REST_PORT
    grpc_port: int = DEFAULT_GRPC_PORT
    project: str = "hs-local"
    data_dir: Path | None = None
    log_level: str = "warning"


def configure_logging(level: str) -> None:
    import logging

    from bqemulator.config import LogFormat, LogLevel
    from bqemulator.observability.logging_ import configure_logging as configure_bqemulator

    logging.basicConfig(level=level.upper(), format="%(name)s: %(message)s")
    configure_bqemulator(level=LogLevel(level), fmt=LogFormat.JSON)
