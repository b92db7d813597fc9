"""The stack's mechanics with tiny stand-in components (no emulators): dependency order, a
component that fails to start, one that dies later, and inclusion by what exists in the tree."""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

import pytest

from emulators.launcher import port_open
from emulators.stack import Component, Stack, StackConfig

# After argv[3] seconds, listens on the port argv[1] for argv[2] seconds, then exits.
LISTENER = (
    "import socket, sys, time\n"
    "time.sleep(float(sys.argv[3]))\n"
    "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
    "s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen()\n"
    "time.sleep(float(sys.argv[2]))\n"
)


def listener(name: str, seconds: float = 60.0, delay: float = 0.0, **kw: object) -> Component:
    def argv(config: StackConfig) -> list[str]:
        return [sys.executable, "-c", LISTENER, str(config.ports[name]), str(seconds), str(delay)]

    return Component(name, argv, (name,), **kw)  # type: ignore[arg-type]  # Component options, passed through by name


def crasher(name: str) -> Component:
    return Component(name, lambda config: [sys.executable, "-c", "raise SystemExit(3)"], (name,))


def config(tmp_path: Path) -> StackConfig:
    return StackConfig.on_free_ports(log_dir=tmp_path, start_timeout=20)


def test_components_start_after_their_dependencies(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    # Declared dependent first: the order of the declaration does not matter.
    components = (listener("gateway", depends_on=("vertex",)), listener("vertex", delay=0.5))
    with Stack(cfg, components) as stack:
        assert stack.ready_after["vertex"] >= 0.5
        assert stack.ready_after["gateway"] >= stack.ready_after["vertex"]
        assert port_open(cfg.host, cfg.ports["gateway"])
    assert not port_open(cfg.host, cfg.ports["vertex"])
    assert not port_open(cfg.host, cfg.ports["gateway"])


def test_a_component_that_cannot_start_stops_the_others(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    stack = Stack(cfg, (listener("vertex"), crasher("gateway")))
    with pytest.raises(RuntimeError, match="gateway exited with code 3"):
        stack.start()
    assert stack.processes == {}
    assert not port_open(cfg.host, cfg.ports["vertex"])


def test_a_component_that_dies_later_is_reported(tmp_path: Path) -> None:
    with Stack(config(tmp_path), (listener("vertex"), listener("gateway", 0.5))) as stack:
        deadline = time.monotonic() + 10
        while not stack.exited() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert stack.exited() == ["gateway"]


def test_components_whose_code_is_absent_are_skipped_with_the_reason(tmp_path: Path) -> None:
    absent = listener("search", requires="functions/no-such-function/main.py")
    stack = Stack(config(tmp_path), (listener("vertex"), absent))
    assert [c.name for c in stack.components] == ["vertex"]
    assert stack.skipped == {"search": "functions/no-such-function/main.py not found"}


def test_a_port_already_in_use_is_refused_before_anything_starts(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    with socket.create_server((cfg.host, cfg.ports["gateway"])):
        stack = Stack(cfg, (listener("vertex"), listener("gateway")))
        with pytest.raises(RuntimeError, match=rf"{cfg.ports['gateway']} \(gateway\)"):
            stack.start()
    assert stack.processes == {}
    assert not port_open(cfg.host, cfg.ports["vertex"])


def test_firestore_locks_option_reaches_our_emulator_and_not_googles() -> None:
    from emulators.__main__ import parse_args
    from emulators.stack import COMPONENTS

    firestore = next(c for c in COMPONENTS if c.name == "firestore")
    config = parse_args(["--firestore-locks", "pessimistic"])
    assert config.firestore_locks == "pessimistic"
    argv = firestore.argv(config)
    assert argv[argv.index("--transaction-locks") + 1] == "pessimistic"
    assert "--transaction-locks" in firestore.argv(parse_args([]))  # optimistic, explicitly
    official = firestore.argv(parse_args(["--official", "--firestore-locks", "pessimistic"]))
    assert official[:4] == ["gcloud", "beta", "emulators", "firestore"]
    assert "--transaction-locks" not in official  # Google's locks anyway
