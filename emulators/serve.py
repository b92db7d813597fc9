"""Run an in-process emulator server until SIGTERM or SIGINT, then stop it cleanly.

The emulators' `__main__` modules share this so every one of them stops the same way when the
stack, a test or Ctrl-C ends it (persistence and background threads get their `stop()`).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable


def serve_until_signalled(stop: Callable[[], object], *banner: str, poll_s: float = 0.2) -> None:
    stopping = threading.Event()

    def on_signal(_signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    for line in banner:
        print(line, flush=True)
    # Waiting in short slices keeps the main thread able to run the signal handler.
    while not stopping.wait(poll_s):
        pass
    stop()
