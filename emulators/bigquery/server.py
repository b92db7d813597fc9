"""Start bqemulator in this process without DuckDB's network-only spatial extension.

bqemulator's engine runs `INSTALL spatial; LOAD spatial` at startup and aborts when the extension
cannot be downloaded (no network, and PyPI's `duckdb-ext-spatial` does not match the DuckDB that
bqemulator needs). It has no setting to skip that step, so `offline_engine()` replaces exactly that
one engine method for this process only, and only while the server starts. The cost: GEOGRAPHY and
`ST_*` functions are unavailable, which hybrid-sessions does not use. The Avro extension is turned
off through bqemulator's own `enable_format_extensions` setting for the same reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator

from bqemulator import __version__ as BQEMULATOR_VERSION
from bqemulator.config import LogLevel, PersistenceMode, Settings
from bqemulator.server import EmulatorServer
from bqemulator.storage.engine import DuckDBEngine

from emulators.bigquery.options import Options

TESTED_BQEMULATOR_VERSION = "1.4.0"

log = logging.getLogger("emulators.bigquery")


def settings_for(options: Options) -> Settings:
    persistent = options.data_dir is not None
    return Settings(
        rest_host=options.host,
        rest_port=options.port,
        grpc_host=options.host,
        grpc_port=options.grpc_port,
        default_project_id=options.project,
        persistence_mode=PersistenceMode.PERSISTENT if persistent else PersistenceMode.EPHEMERAL,
        data_dir=options.data_dir,
        enable_format_extensions=False,
        log_level=LogLevel(options.log_level),
    )


def _skip_spatial(self: DuckDBEngine) -> None:
    log.info("bigquery: DuckDB spatial extension skipped (offline); GEOGRAPHY is unavailable")


@contextlib.contextmanager
def offline_engine() -> Iterator[None]:
    """Within this block, DuckDBEngine.start() does not install the spatial extension."""
    original = getattr(DuckDBEngine, "_load_spatial", None)
    if original is None:
        raise RuntimeError(
            f"bqemulator {BQEMULATOR_VERSION} has no DuckDBEngine._load_spatial; this launcher "
            f"was written for {TESTED_BQEMULATOR_VERSION}: check emulators/bigquery/server.py"
        )
    DuckDBEngine._load_spatial = _skip_spatial  # type: ignore[method-assign]  # offline: no spatial extension download
    try:
        yield
    finally:
        DuckDBEngine._load_spatial = original  # type: ignore[method-assign]  # restored as it was


async def serve(options: Options, stop: asyncio.Event) -> None:
    """Run until `stop` is set; REST and gRPC both listen before it prints 'ready'."""
    server = EmulatorServer(settings_for(options))
    with offline_engine():
        await server.start()
    print(
        f"bigquery emulator (bqemulator {BQEMULATOR_VERSION}) ready: "
        f"REST {server.rest_url}, gRPC {server.grpc_endpoint}",
        flush=True,
    )
    try:
        await stop.wait()
    finally:
        await server.stop()


def run(options: Options) -> None:
    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(options, stop)

    asyncio.run(main())
