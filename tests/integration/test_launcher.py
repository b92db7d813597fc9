"""The launcher stops everything it started, including descendants that left the group."""

from __future__ import annotations

import os
import sys
import time

from emulators.launcher import ManagedProcess, free_port

# A server that, like gcloud's emulators, starts a helper in a session of its own.
_SERVER = """
import http.server, subprocess, sys
helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                          start_new_session=True)
open(sys.argv[2], "w").write(str(helper.pid))
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), http.server.BaseHTTPRequestHandler
                       ).serve_forever()
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_stop_reaches_a_helper_in_another_session(tmp_path) -> None:
    port, pid_file = free_port(), tmp_path / "helper.pid"
    proc = ManagedProcess(
        "server", [sys.executable, "-c", _SERVER, str(port), str(pid_file)], "127.0.0.1", port
    )
    with proc.start(timeout=20):
        helper = int(pid_file.read_text())
        assert _alive(helper)
    deadline = time.monotonic() + 5
    while _alive(helper) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(helper)
    assert not proc.running()


def test_entering_a_started_process_does_not_start_a_second(tmp_path) -> None:
    port, pid_file = free_port(), tmp_path / "helper.pid"
    proc = ManagedProcess(
        "server", [sys.executable, "-c", _SERVER, str(port), str(pid_file)], "127.0.0.1", port
    )
    started = proc.start(timeout=20)
    first = started._proc
    with started:
        assert started._proc is first
    assert first is not None and first.poll() is not None
