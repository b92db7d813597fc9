"""Fixtures of the Firestore conformance suite.

- `db`: the official client, on the session's strict-index emulator (`firestore_emulator`),
  with this module's own project id.
- `lenient_db`: the same on a second emulator process without `--strict-indexes`, for the
  query-semantics tests whose queries would need composite indexes that `infra/` must not
  declare (they are test-only).
- `official_db`: Google's emulator (`gcloud beta emulators firestore start`), when installed;
  tests that use it are marked `official` and skip without gcloud.
- `aborted_commits`: counts the ABORTED answers the emulator gave to transaction commits.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from google.api_core import exceptions
from google.cloud import firestore
from google.cloud.firestore_v1 import transaction as transaction_module

from emulators.launcher import ManagedProcess, gcloud_emulator_installed
from tests.conformance.firestore.firestore_helpers import emulator_process, make_client
from tests.conftest import OFFICIAL, start_official


@pytest.fixture(autouse=True)
def _emulator_env(request: pytest.FixtureRequest) -> None:
    """Point code that builds its own client at the session emulator, as a deployment would."""
    if "firestore_emulator" in request.fixturenames:
        proc = request.getfixturevalue("firestore_emulator")
        os.environ["FIRESTORE_EMULATOR_HOST"] = proc.address


@pytest.fixture(scope="module")
def db(firestore_emulator: ManagedProcess, project_id: str) -> firestore.Client:
    return make_client(firestore_emulator.address, project_id)


@pytest.fixture(scope="session")
def lenient_emulator(request: pytest.FixtureRequest) -> Iterator[ManagedProcess]:
    if OFFICIAL:  # Google's emulator checks no indexes: the session's one is lenient
        yield request.getfixturevalue("firestore_emulator")
        return
    with emulator_process(name="firestore-lenient") as proc:
        yield proc


@pytest.fixture(scope="module")
def lenient_db(lenient_emulator: ManagedProcess, project_id: str) -> firestore.Client:
    return make_client(lenient_emulator.address, project_id)


@pytest.fixture(scope="session")
def official_emulator() -> Iterator[ManagedProcess]:
    if not gcloud_emulator_installed("firestore"):
        pytest.skip("Google's Firestore emulator (gcloud) is not installed")
    proc = start_official("firestore")
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def official_db(official_emulator: ManagedProcess) -> firestore.Client:
    return make_client(official_emulator.address, f"official-{uuid.uuid4().hex[:10]}")


@pytest.fixture
def aborted_commits(monkeypatch: pytest.MonkeyPatch) -> list[exceptions.Aborted]:
    """Every ABORTED a transaction commit got from the server, in order."""
    seen: list[exceptions.Aborted] = []
    original = transaction_module.Transaction._commit

    def counting_commit(self: transaction_module.Transaction) -> list:
        try:
            return original(self)
        except exceptions.Aborted as exc:
            seen.append(exc)
            raise

    monkeypatch.setattr(transaction_module.Transaction, "_commit", counting_commit)
    return seen
