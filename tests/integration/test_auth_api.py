"""Credentials through HTTP: API keys stored hashed in Firestore, dev tokens, and dev mode's
refusal to start where Cloud Run functions would run it."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
import requests

from emulators.launcher import REPO_ROOT, free_port
from shared.auth import api_keys
from tests.integration.session_api_support import (
    Deployment,
    deploy,
    firestore_client,
    function_env,
    pubsub_host,
)


@pytest.fixture(scope="module")
def deployment(request, firestore_emulator, project_id) -> Iterator[Deployment]:
    with deploy(firestore_emulator.address, pubsub_host(request), project_id) as running:
        yield running


def test_api_key_acts_as_its_service_user_and_tenant(deployment: Deployment) -> None:
    from shared.adapters.firestore.api_key_store import FirestoreApiKeyStore
    from shared.ports.api_keys import ApiKeyRecord

    tenant = f"k{uuid.uuid4().hex[:8]}"
    key = api_keys.generate()
    store = FirestoreApiKeyStore(firestore_client(deployment.firestore_host, deployment.project))
    store.put(ApiKeyRecord(api_keys.hash_key(key, None), tenant, "svc-reporting"))
    stored = store.get(api_keys.hash_key(key, None))
    assert stored is not None and stored.tenant_id == tenant

    url = deployment.api.url("/v1/sessions")
    created = requests.post(url, json={"title": "by key"}, headers={"X-API-Key": key}, timeout=30)
    assert created.status_code == 201 and created.json()["user_id"] == "svc-reporting"
    listed = requests.get(url, headers={"Authorization": f"Bearer {key}"}, timeout=30).json()
    assert [s["title"] for s in listed["sessions"]] == ["by key"]
    # the same user name through a dev token of that tenant is the same caller
    same = deployment.api.as_user("svc-reporting", tenant=tenant)
    assert same.call("GET", f"/v1/sessions/{created.json()['session_id']}").status_code == 200

    wrong = requests.get(url, headers={"X-API-Key": api_keys.generate()}, timeout=30)
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_api_key"


def test_identity_never_comes_from_the_body(deployment: Deployment) -> None:
    api = deployment.api.as_user("alice", tenant=f"b{uuid.uuid4().hex[:8]}")
    response = api.call("POST", "/v1/sessions", json={"user_id": "mallory"})
    assert response.status_code == 400
    created = api.call("POST", "/v1/sessions", json={}).json()
    assert created["user_id"] == "alice"


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Bearer dev:", "Basic abc", "Bearer dev:a:b:c:d", "Bearer dev:a b"]
)
def test_bad_credentials_are_401(deployment: Deployment, header: str) -> None:
    headers = {"Authorization": header} if header else {}
    response = requests.get(deployment.api.url("/v1/sessions"), headers=headers, timeout=30)
    assert response.status_code == 401
    assert response.json()["error"]["code"] in ("unauthenticated", "invalid_token")


def test_dev_mode_refuses_to_start_on_cloud_functions(deployment: Deployment) -> None:
    env = function_env(
        deployment.project, deployment.firestore_host, deployment.pubsub_host, "http://x"
    )
    env["K_SERVICE"] = "hs-prod-sessions"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "functions_framework",
            "--source",
            str(REPO_ROOT / "functions" / "sessions" / "main.py"),
            "--target",
            "sessions",
            "--port",
            str(free_port()),
        ],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "HS_AUTH_MODE=dev refuses to run on Cloud Functions" in result.stderr


def test_operator_tool_mints_and_disables_keys(deployment: Deployment) -> None:
    env = function_env(
        deployment.project, deployment.firestore_host, deployment.pubsub_host, "http://x"
    )
    tenant = f"o{uuid.uuid4().hex[:8]}"

    def tool(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "shared.tools.api_keys", *args],
            env=env,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )

    created = tool("create", "--tenant", tenant, "--user", "svc-1", "--name", "nightly")
    assert created.returncode == 0, created.stderr
    fields = dict(line.split(": ", 1) for line in created.stdout.splitlines() if ": " in line)
    key, key_hash = fields["key"].strip(), fields["key_hash"].strip()
    url = deployment.api.url("/v1/sessions")
    made = requests.post(url, json={}, headers={"X-API-Key": key}, timeout=30)
    assert made.status_code == 201 and made.json()["user_id"] == "svc-1"
    assert tool("disable", "--key-hash", key_hash).returncode == 0
    assert tool("disable", "--key-hash", "0" * 64).returncode == 1
    assert tool("create", "--tenant", "a/b", "--user", "u").returncode == 2
