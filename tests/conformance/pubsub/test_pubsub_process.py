"""`python -m emulators.pubsub` as its own process: it serves the official clients and stops
cleanly on SIGTERM and on SIGINT, with a push request in flight and a stream open."""

from __future__ import annotations

import functools
import signal
import subprocess
import sys
import time

import pytest
from google.api_core import exceptions

from emulators.launcher import REPO_ROOT, free_port, port_open, wait_for

from .conftest import PubSub, make_clients
from .push_endpoint import PushEndpoint
from .raw_stream import RawStream

pytestmark = pytest.mark.ours_only("our emulator's own process: flags and signals")


def _start() -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "emulators.pubsub", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    return proc, port


def test_process_stops_cleanly_on_sigterm_and_sigint() -> None:
    # Both processes start at once: the suite pays for one start-up.
    procs = {signal.SIGTERM: _start(), signal.SIGINT: _start()}
    try:
        for _, port in procs.values():
            wait_for(functools.partial(port_open, "127.0.0.1", port), 30, "pubsub emulator")
        for signum, (proc, port) in procs.items():
            publisher, subscriber = make_clients(f"127.0.0.1:{port}")
            helper = PubSub("signals", publisher, subscriber)
            with PushEndpoint(delay_s=3.0) as endpoint:
                topic = helper.topic()
                helper.subscription(topic, push_config={"push_endpoint": endpoint.url()})
                pulled = helper.subscription(topic)
                stream = RawStream(subscriber, subscription=pulled, stream_ack_deadline_seconds=10)
                helper.publish(topic, b"in flight")
                assert len(stream.receive()) == 1  # a stream is open...
                endpoint.wait_in_flight(1)  # ...and a push request is being answered
                t0 = time.monotonic()
                proc.send_signal(signum)
                rc = proc.wait(timeout=10)
                elapsed = time.monotonic() - t0
                with pytest.raises(exceptions.GoogleAPICallError):
                    stream.receive()  # UNAVAILABLE: a client would reconnect
                stream.close()
            subscriber.close()
            output = proc.stdout.read().decode() if proc.stdout else ""
            assert rc == 0, output
            assert elapsed < 3, f"{signal.Signals(signum).name} took {elapsed:.1f}s"
            assert "Pub/Sub emulator stopped" in output
            assert "Traceback" not in output
    finally:
        for proc, _ in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
