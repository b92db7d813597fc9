"""The emulator as its own process: persistence to a directory across restarts."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.conformance.firestore.firestore_helpers import emulator_process, make_client

pytestmark = pytest.mark.ours_only("our emulator's own process: flags, persistence, signals")


def test_data_dir_survives_a_clean_stop(tmp_path):
    data = tmp_path / "data"
    with emulator_process("--data-dir", str(data), name="persist") as proc:
        db = make_client(proc.address, "persisted")
        ref = db.collection("c").document("d")
        ref.collection("sub").document("s").set({"deep": True})
        written = ref.set({"n": 1, "m": {"x": [1, "two"]}})
        ref.update({"n": 2})
        before = ref.get()
    assert (data / "firestore-documents.jsonl").exists()
    with emulator_process("--data-dir", str(data), name="persist") as proc:
        db = make_client(proc.address, "persisted")
        snap = db.collection("c").document("d").get()
        assert snap.to_dict() == {"n": 2, "m": {"x": [1, "two"]}}
        assert snap.create_time == written.update_time and snap.update_time == before.update_time
        assert [c.id for c in db.collection("c").document("d").collections()] == ["sub"]
        # commit times keep increasing after a restart
        assert db.collection("c").document("d").update({"n": 3}).update_time > snap.update_time
        assert not make_client(proc.address, "other").collection("c").document("d").get().exists


def test_data_dir_is_saved_periodically(tmp_path):
    data = tmp_path / "data"
    proc = emulator_process("--data-dir", str(data), "--save-interval", "0.2", name="periodic")
    with proc:
        make_client(proc.address, "p").collection("c").document("d").set({"n": 1})
        deadline = time.monotonic() + 5
        while not (data / "firestore-documents.jsonl").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(proc._proc.pid, signal.SIGKILL)  # no clean stop
    with emulator_process("--data-dir", str(data), name="periodic") as proc:
        assert make_client(proc.address, "p").collection("c").document("d").get().get("n") == 1


def test_in_process_server_and_internal_errors(monkeypatch):
    from google.api_core import exceptions

    from emulators.firestore import Server
    from emulators.firestore import servicer as server_module

    with Server(port=0) as server:
        db = make_client(server.address, "inproc")
        db.collection("c").document("d").set({"n": 1})

        def broken(*args, **kwargs):
            raise RuntimeError("bug")

        monkeypatch.setattr(server_module, "run", broken)
        try:
            list(db.collection("c").stream(retry=None))  # the client would retry INTERNAL
        except exceptions.InternalServerError as exc:
            assert "RuntimeError" in exc.message
        else:
            raise AssertionError("expected INTERNAL")
        monkeypatch.undo()
        assert [d.id for d in db.collection("c").stream()] == ["d"]  # still serving
