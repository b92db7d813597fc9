"""The local stack: `python -m emulators` as `make run` starts it, and the `stack` fixture.

The subprocess test is the acceptance check of issue 2: every component answers, resources are
provisioned, SIGINT stops everything and leaves no process behind. It records the startup time
(`startup_seconds` in the JUnit properties; the target is under 15 s on an idle 2-core machine).
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from google.cloud import bigquery

from emulators.launcher import REPO_ROOT, free_port, port_open
from emulators.provision import bigquery_client, pubsub_clients
from emulators.stack import COMPONENTS, DEFAULT_PORTS, Stack, StackConfig

UP = re.compile(r"local stack is up in ([\d.]+) s")


def descendants(pid: int) -> set[int]:
    """Every process below pid, from /proc (children, gunicorn workers, gcloud's java)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def read_lines(stream: Iterable[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="counts child processes through /proc")
def test_make_run_starts_everything_and_sigint_leaves_nothing(
    tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    ports = {name: free_port() for name in DEFAULT_PORTS}
    env = {
        **os.environ,
        **{f"HS_STACK_{name.upper()}_PORT": str(port) for name, port in ports.items()},
        "HS_STACK_LOG_DIR": str(tmp_path),
    }
    expected = Stack(StackConfig(ports=ports)).components
    began = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "emulators"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=read_lines, args=(process.stdout, lines), daemon=True).start()
    output: list[str] = []
    try:
        while not (output and output[-1].startswith("Ctrl-C stops everything")):
            try:
                output.append(lines.get(timeout=90 - (time.monotonic() - began)))
            except (queue.Empty, ValueError):
                pytest.fail("no 'stack is up' within 90 s:\n" + "".join(output))
            assert process.poll() is None, "".join(output) + "".join(lines.queue)
        startup = float(next(m for line in output if (m := UP.search(line))).group(1))
        record_property("startup_seconds", startup)
        print(f"\nstack up in {startup:.1f} s (measured by the stack)")

        every_port = [ports[p] for component in expected for p in component.ports]
        assert all(port_open("127.0.0.1", port) for port in every_port)
        printed = "".join(output)
        assert f"export FIRESTORE_EMULATOR_HOST=127.0.0.1:{ports['firestore']}" in printed

        client = bigquery_client(f"http://127.0.0.1:{ports['bigquery']}", "hs-local")
        tables = {t.table_id for t in client.list_tables("hs_local")}
        assert {"messages", "sessions"} <= tables
        publisher, _ = pubsub_clients(f"127.0.0.1:{ports['pubsub']}")
        topics = {t.name for t in publisher.list_topics(project="projects/hs-local")}
        assert "projects/hs-local/topics/hs-local-messages" in topics

        children = descendants(process.pid)
        assert len(children) >= len(expected)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        assert not [port for port in every_port if port_open("127.0.0.1", port)]
        assert not [pid for pid in children if alive(pid)]
    finally:
        if process.poll() is None:
            stop_anyway(process)


def stop_anyway(process: subprocess.Popen[str]) -> None:
    """After a failed assertion: the stack's own stop first, then every process it left."""
    leftovers = descendants(process.pid)
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for pid in leftovers:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)  # each component leads its own process group


def test_fixture_stack_gives_addresses_env_and_provisioned_resources(stack: Stack) -> None:
    for component in stack.components:
        assert all(port_open(stack.config.host, stack.config.ports[p]) for p in component.ports)
    env = stack.env
    assert env["FIRESTORE_EMULATOR_HOST"] == stack.address("firestore")
    assert env["PUBSUB_EMULATOR_HOST"] == stack.address("pubsub")
    assert env["HS_BIGQUERY_ENDPOINT"] == stack.url("bigquery")
    assert env["HS_AUTH_MODE"] == "dev"
    dataset = stack.config.settings.bigquery_dataset
    assert f"{stack.config.settings.project}.{dataset}.messages" in stack.provisioned


def test_an_outage_stops_one_component_and_restores_it_with_its_data(stack: Stack) -> None:
    settings = stack.config.settings
    client = bigquery_client(stack.url("bigquery"), settings.project)
    table = bigquery.Table(
        f"{settings.project}.{settings.bigquery_dataset}.outage_probe",
        schema=[bigquery.SchemaField("id", "STRING")],
    )
    client.create_table(table, exists_ok=True)
    assert client.insert_rows_json(table, [{"id": "before"}], row_ids=["before"]) == []
    with stack.down("bigquery"):
        assert not port_open(stack.config.host, stack.config.ports["bigquery"])
    assert port_open(stack.config.host, stack.config.ports["bigquery"])
    rows = client.query(f"SELECT id FROM `{table.reference}`").result()
    assert [r["id"] for r in rows] == ["before"]


@pytest.mark.official
@pytest.mark.skipif(shutil.which("gcloud") is None, reason="needs gcloud and its emulators")
def test_official_emulators_replace_ours_and_get_provisioned(tmp_path: Path) -> None:
    official = tuple(c for c in COMPONENTS if c.name in ("firestore", "pubsub"))
    config = StackConfig.on_free_ports(official=True, log_dir=tmp_path)
    with Stack(config, official) as running:
        assert [c.name for c in running.components] == ["firestore", "pubsub"]
        assert port_open(config.host, config.ports["firestore"])
        publisher, _ = pubsub_clients(running.address("pubsub"))
        topics = {
            t.name for t in publisher.list_topics(project=f"projects/{config.settings.project}")
        }
        assert (
            f"projects/{config.settings.project}/topics/{config.settings.messages_topic}" in topics
        )
    assert not port_open(config.host, config.ports["pubsub"])
