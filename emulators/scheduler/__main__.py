"""python -m emulators.scheduler --host H --port P --job NAME=URL@SECONDS [--job ...]"""

from __future__ import annotations

import argparse
import json
import signal
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

# What Cloud Scheduler sends with an HTTP target (besides its OIDC token).
_HEADERS = {"User-Agent": "Google-Cloud-Scheduler", "X-CloudScheduler": "true"}


@dataclass
class Job:
    name: str
    url: str
    every_s: float
    runs: int = 0
    last: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> dict[str, Any]:
        with self.lock:  # one run of a job at a time, as Cloud Scheduler does
            started = time.monotonic()
            try:
                response = requests.post(self.url, headers=_HEADERS, timeout=300)
                outcome: dict[str, Any] = {"status": response.status_code}
            except requests.RequestException as error:
                outcome = {"error": f"{type(error).__name__}: {error}"}
            outcome["seconds"] = round(time.monotonic() - started, 3)
            self.runs += 1
            self.last = outcome
            return outcome


def parse_job(text: str) -> Job:
    name, sep, rest = text.partition("=")
    url, sep2, every = rest.rpartition("@")
    if not (sep and sep2 and name and url):
        raise argparse.ArgumentTypeError(f"--job wants NAME=URL@SECONDS, got {text!r}")
    return Job(name, url, float(every))


def _loop(job: Job, stop: threading.Event) -> None:
    while not stop.wait(job.every_s):
        job.run()


def _handler(jobs: dict[str, Job]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = {
                name: {"url": j.url, "every_s": j.every_s, "runs": j.runs, "last": j.last}
                for name, j in jobs.items()
            }
            self._answer(200, body)

        def do_POST(self) -> None:
            name = self.path.removeprefix("/jobs/").removesuffix(":run")
            if not self.path.endswith(":run") or name not in jobs:
                self._answer(404, {"error": {"code": "not_found", "message": self.path}})
                return
            self._answer(200, jobs[name].run())

        def _answer(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m emulators.scheduler")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8106)
    parser.add_argument("--job", type=parse_job, action="append", default=[])
    args = parser.parse_args()
    jobs = {job.name: job for job in args.job}
    stop = threading.Event()
    server = ThreadingHTTPServer((args.host, args.port), _handler(jobs))
    for job in jobs.values():
        threading.Thread(target=_loop, args=(job, stop), daemon=True).start()

    def shutdown(*_: object) -> None:
        stop.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    names = ", ".join(jobs) or "no jobs"
    print(f"scheduler on http://{args.host}:{args.port}: {names}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
