"""The instance warm-up: it builds the named parts once, and the first request reuses them."""

from __future__ import annotations

import os
import sys

import pytest

from shared import bootstrap
from shared.adapters.in_memory.llm import InMemoryLLM
from tests.unit.session_fakes import build


class WarmableLLM(InMemoryLLM):
    def __init__(self) -> None:
        super().__init__()
        self.warmed = 0

    def warm(self) -> None:
        self.warmed += 1


def test_warm_now_imports_the_routes_and_warms_what_can_be_warmed() -> None:
    fx = build()
    llm = WarmableLLM()
    fx.services._built["llm"] = llm
    sys.modules.pop("shared.api.chat", None)
    bootstrap.use(fx.services)
    try:
        bootstrap.warm_now("shared.api.chat", "auth", "chat", "llm")
        assert "shared.api.chat" in sys.modules
        assert llm.warmed == 1
        assert "chat" in fx.services._built and "auth" in fx.services._built
    finally:
        bootstrap.use(None)


def test_a_failing_warm_up_is_only_logged(caplog: pytest.LogCaptureFixture) -> None:
    bootstrap.warm_now("shared.no_such_module")
    assert "warm-up failed" in caplog.text


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_the_warm_up_starts_in_the_forked_worker_not_at_import() -> None:
    started: list[int] = []
    original = bootstrap.warm_now
    bootstrap.warm_now = lambda *a: started.append(os.getpid())
    try:
        # A hook cannot be unregistered: a harmless module and no parts, for later forks.
        bootstrap.warm_up("json")
        assert started == []  # nothing at import, in gunicorn's master
        pid = os.fork()
        if pid == 0:  # the worker: the hook ran and started the thread
            import time

            waited = time.monotonic() + 10
            while not started and time.monotonic() < waited:
                time.sleep(0.01)
            # (main.py modules other tests imported registered their own hooks too)
            os._exit(0 if started and set(started) == {os.getpid()} else 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        bootstrap.warm_now = original
