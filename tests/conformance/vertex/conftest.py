"""The Vertex AI emulator as a process, once per test session, and clients pointed at it.

Tests keep apart by declaring their own indexes and endpoints (unique names) through
`/emulator/v1/config`, so nothing needs a reset between tests; fault and latency hooks are
cleared after each test that uses `vertex_url`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from emulators.launcher import REPO_ROOT, ManagedProcess, free_port, python_module

LOG_DIR = REPO_ROOT / "build" / "test-logs"
DIMS = 4


@pytest.fixture(scope="session")
def vertex_process() -> Iterator[ManagedProcess]:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = ManagedProcess(
        name="vertex",
        argv=python_module("emulators.vertex", "--host", "127.0.0.1", "--port", str(port)),
        host="127.0.0.1",
        port=port,
        log_path=LOG_DIR / f"vertex-{port}.log",
    )
    with proc:
        yield proc


@pytest.fixture
def vertex_url(vertex_process: ManagedProcess) -> Iterator[str]:
    url = f"http://{vertex_process.address}"
    yield url
    requests.delete(f"{url}/emulator/v1/faults", timeout=5).raise_for_status()
    for scope in ("all", "generate", "embed", "vector"):
        requests.post(
            f"{url}/emulator/v1/latency", json={"seconds": 0, "scope": scope}, timeout=5
        ).raise_for_status()


@pytest.fixture
def genai_client(vertex_url: str) -> Any:
    from google import genai
    from google.genai import types
    from google.oauth2.credentials import Credentials

    # google-genai refuses to send a request without a token when project and location are
    # set (which it needs to keep the /projects/... path under base_url): a placeholder.
    return genai.Client(
        vertexai=True,
        project="local-project",
        location="us-central1",
        credentials=Credentials(token="local-emulator"),
        http_options=types.HttpOptions(base_url=vertex_url, api_version="v1"),
    )


def _admin(url: str, route: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = requests.post(f"{url}/emulator/v1/{route}", json=body or {}, timeout=10)
    response.raise_for_status()
    return response.json()


@pytest.fixture
def admin(vertex_url: str) -> Callable[..., dict[str, Any]]:
    """POST to an /emulator/v1/ test hook: `admin("faults", {"count": 1, "code": 503})`."""

    def call(route: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return _admin(vertex_url, route, body)

    return call


@pytest.fixture
def declare(vertex_url: str) -> Callable[..., tuple[str, str, str]]:
    """Declare a fresh index deployed on a fresh endpoint; returns (index, endpoint, deployed)."""
    from tests.conftest import unique_id

    def make(
        dims: int = DIMS,
        distance: str = "DOT_PRODUCT_DISTANCE",
        norm: str = "NONE",
        update_method: str = "STREAM_UPDATE",
    ) -> tuple[str, str, str]:
        parent = f"projects/{unique_id('p')}/locations/us-central1"
        index, endpoint, deployed = (
            f"{parent}/indexes/{unique_id()}",
            f"{parent}/indexEndpoints/{unique_id()}",
            f"deployed_{unique_id()}",
        )
        _admin(
            vertex_url,
            "config",
            {
                "indexes": [
                    {
                        "name": index,
                        "dimensions": dims,
                        "distanceMeasureType": distance,
                        "featureNormType": norm,
                        "indexUpdateMethod": update_method,
                    }
                ],
                "indexEndpoints": [
                    {"name": endpoint, "deployedIndexes": [{"id": deployed, "index": index}]}
                ],
            },
        )
        return index, endpoint, deployed

    return make


@pytest.fixture
def vs_clients(vertex_url: str) -> tuple[Any, Any]:
    """aiplatform_v1 IndexServiceClient and MatchServiceClient over REST, as the product uses."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud.aiplatform_v1 import IndexServiceClient, MatchServiceClient

    options = {"api_endpoint": vertex_url}
    return (
        IndexServiceClient(
            transport="rest", client_options=options, credentials=AnonymousCredentials()
        ),
        MatchServiceClient(
            transport="rest", client_options=options, credentials=AnonymousCredentials()
        ),
    )
