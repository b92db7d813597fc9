"""Every `VectorIndex` adapter behind one fixture: the in-memory fake, Vertex AI Vector Search
(our emulator, through the official REST clients), Firestore (our emulator in strict-index
mode, reading infra/firestore.indexes.json) and Chroma (a real Chroma server from the
`chromadb` package in `.tools/chroma`, which `make test` installs; `make chroma` alone). Each
test works in tenants of its own, so adapters need no reset between tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from emulators.launcher import REPO_ROOT, ManagedProcess, free_port
from shared.adapters.in_memory.vector_index import InMemoryVectorIndex
from shared.ports.vector_index import VectorIndex
from tests.conftest import start_emulator, unique_id

DIMS = 384  # a dimension infra/firestore.indexes.json declares (the local model's)
BACKENDS = ("memory", "vertex", "firestore", "chroma")
CHROMA = REPO_ROOT / ".tools" / "chroma" / "bin" / "chroma"


@pytest.fixture(scope="session")
def vertex_emulator() -> Iterator[ManagedProcess]:
    proc = start_emulator("vertex-contract", "emulators.vertex")
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManagedProcess]:
    if not CHROMA.exists():
        pytest.skip("the Chroma server is not installed: make chroma")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma")
    proc = ManagedProcess(
        name="chroma",
        argv=[str(CHROMA), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        host="127.0.0.1",
        port=port,
        log_path=path / "chroma.log",
    )
    proc.start(timeout=120)
    try:
        yield proc
    finally:
        proc.stop()


def _chroma(proc: ManagedProcess) -> VectorIndex:
    import chromadb

    from shared.adapters.chroma.vector_index import ChromaVectorIndex

    client = chromadb.HttpClient(host=proc.host, port=proc.port, database="default_database")
    return ChromaVectorIndex(client)


def _vertex(proc: ManagedProcess) -> VectorIndex:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud.aiplatform_v1 import IndexServiceClient, MatchServiceClient

    from shared.adapters.vertex.vector_index import VertexVectorIndex

    url = f"http://{proc.address}"
    parent = f"projects/{unique_id('p')}/locations/us-central1"
    index, endpoint, deployed = (
        f"{parent}/indexes/{unique_id()}",
        f"{parent}/indexEndpoints/{unique_id()}",
        f"deployed_{unique_id()}",
    )
    config = {
        "indexes": [{"name": index, "dimensions": DIMS, "indexUpdateMethod": "STREAM_UPDATE"}],
        "indexEndpoints": [
            {"name": endpoint, "deployedIndexes": [{"id": deployed, "index": index}]}
        ],
    }
    requests.post(f"{url}/emulator/v1/config", json=config, timeout=10).raise_for_status()
    options = {"api_endpoint": url}
    return VertexVectorIndex(
        IndexServiceClient(
            transport="rest", client_options=options, credentials=AnonymousCredentials()
        ),
        MatchServiceClient(
            transport="rest", client_options=options, credentials=AnonymousCredentials()
        ),
        index=index,
        index_endpoint=endpoint,
        deployed_index_id=deployed,
    )


def _firestore(proc: ManagedProcess) -> VectorIndex:
    from shared.adapters.firestore.vector_index import FirestoreVectorIndex
    from tests.conformance.firestore.firestore_helpers import make_client

    return FirestoreVectorIndex(make_client(proc.address, unique_id("contract-")))


@pytest.fixture(params=BACKENDS)
def index(request: pytest.FixtureRequest) -> VectorIndex:
    backend = request.param
    if backend == "memory":
        return InMemoryVectorIndex()
    if backend == "vertex":
        return _vertex(request.getfixturevalue("vertex_emulator"))
    if backend == "chroma":
        return _chroma(request.getfixturevalue("chroma_server"))
    return _firestore(request.getfixturevalue("firestore_emulator"))
