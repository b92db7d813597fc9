"""Start emulator (or function) processes on a port, wait until they answer, stop them.

Shared by the local stack (`python -m emulators`), the pytest fixtures and the benchmarks, so
every background process anything starts is stopped by the same code.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port(host: str = "127.0.0.1") -> int:
    """An unused TCP port; tests use it so parallel runs never collide with `make run`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} did not become ready within {timeout:.0f}s")


@dataclass
class ManagedProcess:
    """A child process in its own process group, so stopping it also stops its children."""

    name: str
    argv: Sequence[str]
    host: str
    port: int
    env: dict[str, str] = field(default_factory=dict)
    log_path: Path | None = None
    ready: Callable[[], bool] | None = None
    _proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, timeout: float = 30.0) -> ManagedProcess:
        if self.running():
            return self
        env = {**os.environ, **self.env}
        env.setdefault("PYTHONUNBUFFERED", "1")
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self._proc = subprocess.Popen(
                list(self.argv),
                env=env,
                cwd=REPO_ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            if not isinstance(out, int):  # DEVNULL is an int
                out.close()
        check = self.ready or (lambda: port_open(self.host, self.port))

        def alive_and_ready() -> bool:
            if self._proc is not None and self._proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with code {self._proc.returncode} before it was ready"
                    + (f"; see {self.log_path}" if self.log_path else "")
                )
            return check()

        try:
            wait_for(alive_and_ready, timeout, self.name)
        except BaseException:
            self.stop()
            raise
        return self

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self, grace: float = 5.0) -> None:
        """Stop the process, its group, and descendants that left the group (gcloud's
        emulators call setsid, so their JVM would outlive a signal to our group alone)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        strays = _descendants(proc.pid)
        if proc.poll() is None:
            _signal_group(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                _signal_group(proc.pid, signal.SIGKILL)
                proc.wait(timeout=grace)
        _stop_pids(strays, grace)

    def __enter__(self) -> ManagedProcess:
        return self.start()  # a no-op when already started, so `with proc.start():` is safe

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _descendants(root: int) -> list[int]:
    """Every live descendant of `root`, read from /proc (Linux; elsewhere none are found)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: fields start after the last ')'
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    frontier = [root]
    while frontier:
        kids = children.get(frontier.pop(), [])
        found += kids
        frontier += kids
    return found


def _stop_pids(pids: list[int], grace: float) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in alive if _alive(pid)]
        if alive:
            time.sleep(0.05)
    for pid in alive:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def python_module(module: str, *args: str) -> list[str]:
    """argv that runs `python -m module` with this interpreter (the project's venv)."""
    return [sys.executable, "-m", module, *args]


def gcloud_emulator_installed(emulator: str) -> bool:
    """Whether gcloud is on PATH with the component of Google's `firestore` or `pubsub`
    emulator (a user's machine may have gcloud without it)."""
    gcloud = shutil.which("gcloud")
    if not gcloud:
        return False
    component = {"firestore": "cloud-firestore-emulator", "pubsub": "pubsub-emulator"}[emulator]
    return (Path(os.path.realpath(gcloud)).parent.parent / "platform" / component).is_dir()


def gcloud_emulator_argv(emulator: str, host: str, port: int, *extra: str) -> list[str]:
    """argv of Google's emulator (`gcloud beta emulators firestore|pubsub start`)."""
    return ["gcloud", "beta", "emulators", emulator, "start", f"--host-port={host}:{port}", *extra]
