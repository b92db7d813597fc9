"""Small helpers the Firestore conformance tests share (imported by the test modules)."""

from __future__ import annotations

import os
import uuid
from typing import Any

import grpc
import pytest
from google.api_core import exceptions
from google.cloud import firestore

from emulators.launcher import REPO_ROOT, ManagedProcess, free_port, python_module

LOG_DIR = REPO_ROOT / "build" / "test-logs"


def make_client(address: str, project: str) -> firestore.Client:
    """An official client for an emulator, built the way FIRESTORE_EMULATOR_HOST makes it."""
    saved = os.environ.get("FIRESTORE_EMULATOR_HOST")
    os.environ["FIRESTORE_EMULATOR_HOST"] = address
    try:
        return firestore.Client(project=project)
    finally:
        if saved is None:
            os.environ.pop("FIRESTORE_EMULATOR_HOST", None)
        else:
            os.environ["FIRESTORE_EMULATOR_HOST"] = saved


def emulator_process(*args: str, name: str = "firestore-extra") -> ManagedProcess:
    """Another `python -m emulators.firestore` process on a free port (start it with `with`)."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    port = free_port()
    return ManagedProcess(
        name=name,
        argv=python_module(
            "emulators.firestore", "--host", "127.0.0.1", "--port", str(port), *args
        ),
        host="127.0.0.1",
        port=port,
        log_path=LOG_DIR / f"{name}-{port}.log",
    )


def unique(prefix: str = "c") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def ids(docs: Any) -> list[str]:
    return [d.id for d in docs]


def fill(coll: firestore.CollectionReference, docs: dict[str, dict]) -> None:
    """Write documents in batches of 500 (one Commit each)."""
    items = list(docs.items())
    client = coll._client
    for i in range(0, len(items), 500):
        batch = client.batch()
        for doc_id, data in items[i : i + 500]:
            batch.set(coll.document(doc_id), data)
        batch.commit()


def root(db: firestore.Client) -> str:
    return f"projects/{db.project}/databases/(default)"


def expect_code(code: grpc.StatusCode):
    """pytest.raises for the google.api_core exception of a gRPC code."""
    return pytest.raises(exceptions.from_grpc_status(code, "").__class__)


def run_query(db: firestore.Client, structured_query: dict, parent: str | None = None) -> list:
    """RunQuery with a raw StructuredQuery (what the client would refuse to build)."""
    request = {"parent": parent or f"{root(db)}/documents", "structured_query": structured_query}
    return [r.document for r in db._firestore_api.run_query(request=request) if r.document.name]


def field_filter(field: str, op: str, value: dict) -> dict:
    return {"field_filter": {"field": {"field_path": field}, "op": op, "value": value}}
