"""python -m emulators.gateway --port 8000 --backend chat=http://127.0.0.1:8101 ...

Serves the public API on one origin and forwards each operation, by the OpenAPI description's
paths and methods, to the function that serves it. Stops cleanly on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from werkzeug.serving import WSGIRequestHandler, make_server

from emulators.gateway.proxy import Gateway
from emulators.gateway.routes import SPEC_PATH, load
from shared.web import server_error_bytes


class _RequestHandler(WSGIRequestHandler):
    """werkzeug's handler with a plain access log: its own colours it with ANSI escapes, which
    end up as noise in the stack's log files."""

    quiet = False

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a header line over 64 KiB, over 100 headers, a bad
        request line) in the API's JSON error body, as the functions answer them."""
        self.log_error("code %d, message %s", code, message)
        self.close_connection = True
        reason = self.responses.get(code, ("Error",))[0]
        self.wfile.write(server_error_bytes(code, reason))

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if not self.quiet:
            logging.getLogger("emulators.gateway").info(
                '%s "%s" %s', self.address_string(), self.requestline, code
            )


def _backend(value: str) -> tuple[str, str]:
    name, sep, url = value.partition("=")
    if not sep or not name or not url.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"expected FUNCTION=http://host:port, got {value!r}")
    return name, url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m emulators.gateway",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--backend",
        type=_backend,
        action="append",
        default=[],
        metavar="FUNCTION=URL",
        help="base URL of a function (chat, sessions, search); repeatable",
    )
    parser.add_argument("--spec", type=Path, default=SPEC_PATH, help="OpenAPI description")
    parser.add_argument("--quiet", action="store_true", help="no access log")
    parser.add_argument(
        "--console",
        type=Path,
        metavar="DIR",
        help="serve the built web console (make console: build/console) at /",
    )
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="gateway: %(message)s")
    _RequestHandler.quiet = args.quiet
    try:
        table = load(args.spec)
    except (OSError, ValueError) as exc:
        print(f"gateway: cannot read {args.spec}: {exc}", file=sys.stderr)
        return 2
    backends = dict(args.backend)
    # The stack may hand over every function it runs; event-driven ones serve no route.
    unused = sorted(set(backends) - table.functions)
    if unused:
        print(f"gateway: no operation is served by {', '.join(unused)}; ignored", flush=True)
    if args.console is not None and not (args.console / "index.html").is_file():
        print(f"gateway: no console in {args.console} (run make console)", file=sys.stderr)
        return 2
    gateway = Gateway(
        table,
        {k: v for k, v in backends.items() if k in table.functions},
        console_dir=args.console,
    )
    try:
        server = make_server(
            args.host, args.port, gateway, threaded=True, request_handler=_RequestHandler
        )
    except OSError as exc:
        print(f"gateway: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2

    def stop(signum: int, frame: FrameType | None) -> None:
        # shutdown() waits for serve_forever() to return, so it cannot run on this thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    missing = sorted(table.functions - set(backends))
    print(
        f"gateway listening on http://{args.host}:{server.port}"
        + (f" (no backend for {', '.join(missing)}: 503)" if missing else "")
        + (f", console at http://{args.host}:{server.port}/" if args.console else ""),
        flush=True,
    )
    try:
        server.serve_forever()
    finally:
        server.server_close()
        gateway.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
