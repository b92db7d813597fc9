"""The Python client as a user installs it: `clients/python` built and installed into a fresh
venv (uv, from its cache, versions pinned by uv.lock), outside the repository, then used
against the local stack through its API and its `hs` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from emulators.launcher import REPO_ROOT
from emulators.stack import Stack
from tests.conftest import unique_id

UV = REPO_ROOT / ".tools" / "bin" / "uv"
CLIENT = REPO_ROOT / "clients" / "python"


@dataclass(frozen=True)
class Venv:
    root: Path
    pins: dict[str, str]
    """What uv.lock pins for the client's dependencies."""

    def bin(self, name: str) -> Path:
        return self.root / "bin" / name

    def run(
        self, *argv: str | Path, env: dict[str, str] | None = None, stdin: str = ""
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(a) for a in argv],
            cwd=self.root,  # not the repository: nothing of it is importable from here
            env={"PATH": os.environ.get("PATH", ""), **(env or {})},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )


def _uv(*args: str | Path) -> str:
    done = subprocess.run(
        [str(UV), *map(str, args)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Venv]:
    if not UV.exists():
        pytest.skip(f"{UV} missing: run `make setup`")
    root = tmp_path_factory.mktemp("client-venv") / "venv"
    export = "export --frozen --no-hashes --no-dev --package hybrid-sessions --no-emit-workspace"
    exported = _uv(*export.split())
    pins = dict(
        line.split(" ;", 1)[0].split("==", 1)
        for line in exported.splitlines()
        if line and not line.startswith(("#", " "))
    )
    constraints = root.parent / "constraints.txt"
    constraints.write_text("".join(f"{name}=={version}\n" for name, version in pins.items()))
    _uv("venv", "--quiet", "--python", sys.executable, root)
    # A regular (not editable) install of the folder: what `pip install ./clients/python` does.
    _uv("pip", "install", "--quiet", "--python", root / "bin" / "python", "-c", constraints, CLIENT)
    yield Venv(root, pins)


def test_the_base_install_pulls_in_httpx_and_nothing_of_google_cloud(venv: Venv) -> None:
    listed = json.loads(_uv("pip", "list", "--python", venv.bin("python"), "--format", "json"))
    installed = {p["name"].lower(): p["version"] for p in listed}

    assert [name for name in installed if name.startswith("google")] == []
    assert "pydantic" not in installed and "requests" not in installed
    assert installed.pop("hybrid-sessions") == "1.0.0"
    assert "httpx" in installed
    assert installed == venv.pins, "exactly the lock's pins of the client's dependencies"


def test_it_imports_from_the_venv_without_the_repository(venv: Venv) -> None:
    probe = (
        "import sys, hybrid_sessions, hybrid_sessions.cli.main;"
        "print(hybrid_sessions.__file__);"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('shared', 'pydantic')))"
    )
    done = venv.run(venv.bin("python"), "-c", probe)
    assert done.returncode == 0, done.stderr
    path, leaked = done.stdout.splitlines()
    assert Path(path).is_relative_to(venv.root) and leaked == "[]"
    assert (Path(path).parent / "py.typed").exists()


@pytest.fixture(scope="module")
def api(stack: Stack) -> dict[str, str]:
    if not all(stack.has(c) for c in ("chat", "sessions", "search", "gateway")):
        pytest.skip(f"stack incomplete: {stack.skipped}")
    return {"HS_API_URL": stack.url("gateway"), "HS_API_TOKEN": f"dev:{unique_id('t')}:ann"}


CHAT = """
import json
from hybrid_sessions import ConversationAgent, HybridSessionsClient

agent = ConversationAgent()  # HS_API_URL, HS_API_TOKEN
first = agent.chat("I am planning a trip to Lisbon in May.")
second = agent.chat("What should I pack?")
streamed = "".join(agent.chat_stream("And for the evenings?"))
history = agent.get_session_history()
print(json.dumps({
    "session": agent.session_id,
    "replies": [first, second, streamed],
    "roles": [m["role"] for m in history],
    "status": HybridSessionsClient(agent.client.base_url, "dev:x").status()["features"] != {},
}))
"""


def test_chatting_against_the_stack_from_the_fresh_venv(venv: Venv, api: dict[str, str]) -> None:
    done = venv.run(venv.bin("python"), "-c", CHAT, env=api)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["roles"] == ["user", "assistant"] * 3
    assert all("[local model]" in reply for reply in answer["replies"])
    assert answer["status"] is True


def test_hs_from_the_fresh_venv(venv: Venv, api: dict[str, str]) -> None:
    hs = venv.bin("hs")

    one = venv.run(hs, "chat", "I am planning a trip to Lisbon in May.", env=api)
    assert one.returncode == 0, one.stderr
    assert "[local model]" in one.stdout and one.stdout.count("\n") >= 1
    session = one.stderr.strip().rsplit("session: ", 1)[1]

    piped = venv.run(hs, "chat", "--session", session, env=api, stdin="More?\nAnd?\n\nnot sent\n")
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.count("[local model]") == 2 and f"session: {session}" in piped.stderr

    as_json = venv.run(hs, "chat", "--json", "--session", session, "Thanks", env=api)
    assert json.loads(as_json.stdout)["reply"]["seq"] == 7

    listed = venv.run(hs, "sessions", env=api)
    assert listed.returncode == 0 and session in listed.stdout
    shown = venv.run(hs, "show", session, env=api)
    assert shown.returncode == 0 and "[0] user: I am planning a trip" in shown.stdout
    assert "[7] assistant:" in shown.stdout

    for argv in (("search", "Lisbon"), ("similar", session), ("analytics",), ("status",)):
        done = venv.run(hs, *argv, env=api)
        assert done.returncode == 0, (argv, done.stderr)
        assert done.stdout.strip(), argv
    status = venv.run(hs, "status", env=api).stdout
    assert "chat" in status and "live" in status


def test_interactive_hs_chat_on_a_terminal(venv: Venv, api: dict[str, str]) -> None:
    """On a terminal `hs chat` greets, prompts and streams; an empty line ends it."""
    primary, secondary = os.openpty()
    try:
        proc = subprocess.Popen(
            [str(venv.bin("hs")), "chat"],
            cwd=venv.root,
            env={"PATH": os.environ.get("PATH", ""), **api},
            stdin=secondary,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        os.write(primary, b"Hello there\n\n")
        out, err = proc.communicate(timeout=120)
    finally:
        os.close(primary)
        os.close(secondary)
    assert proc.returncode == 0, err
    assert out.startswith("Type a message") and "you> " in out
    assert "[local model]" in out and "session: " in out
