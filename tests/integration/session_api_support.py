"""The chat, sessions and reconciler functions as real functions-framework processes, on the
emulators, for the integration tests of issue 3.

Tests speak HTTP to an `Api`, which maps each public path to the function serving it, exactly
as the gateway does; pointing every route at one gateway URL is all a move behind the whole
stack would take.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from emulators.launcher import REPO_ROOT, ManagedProcess, free_port, python_module
from tests.conftest import LOG_DIR, start_emulator

FUNCTIONS = ("chat", "sessions", "reconciler")
ROUTES = {"/v1/chat": "chat", "/v1/sessions": "sessions", "/v1/users": "sessions"}
TOPIC = "hs-test-messages"
SUBSCRIPTION = "hs-test-messages-all"


@dataclass
class Api:
    """HTTP client of the public API; `as_user` gives the dev token of a tenant/user."""

    bases: dict[str, str]
    tenant: str = field(default_factory=lambda: f"t{uuid.uuid4().hex[:8]}")
    user: str = "alice"
    _http: requests.Session = field(default_factory=requests.Session)

    def as_user(self, user: str, tenant: str | None = None) -> Api:
        return Api(self.bases, tenant or self.tenant, user)

    @property
    def token(self) -> str:
        return f"dev:{self.tenant}:{self.user}"

    def url(self, path: str) -> str:
        for prefix, function in ROUTES.items():
            if path.startswith(prefix):
                return self.bases[function] + path
        raise ValueError(f"no function serves {path}")

    def call(
        self, method: str, path: str, *, auth: bool = True, **kwargs: Any
    ) -> requests.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if auth:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        kwargs.setdefault("timeout", 60)
        return self._http.request(method, self.url(path), headers=headers, **kwargs)

    def chat(self, message: str, session_id: str | None = None, **body: Any) -> dict[str, Any]:
        payload = {"message": message, **body}
        if session_id:
            payload["session_id"] = session_id
        response = self.call("POST", "/v1/chat", json=payload)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def new_session(self, **body: Any) -> str:
        response = self.call("POST", "/v1/sessions", json=body)
        assert response.status_code == 201, response.text
        return response.json()["session_id"]

    def append(self, session_id: str, contents: list[str]) -> list[dict[str, Any]]:
        response = self.call(
            "POST",
            f"/v1/sessions/{session_id}/messages",
            json={"messages": [{"role": "user", "content": c} for c in contents]},
        )
        assert response.status_code == 201, response.text
        return response.json()["messages"]

    def all_pages(self, path: str, key: str, **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        token = None
        while True:
            query = {**params, **({"page_token": token} if token else {})}
            response = self.call("GET", path, params=query)
            assert response.status_code == 200, response.text
            body = response.json()
            items += body[key]
            token = body.get("next_page_token")
            if not token:
                return items


@dataclass
class Deployment:
    api: Api
    project: str
    vertex_url: str
    pubsub_host: str
    firestore_host: str
    processes: dict[str, ManagedProcess]

    def llm_calls(self) -> int:
        stats = requests.get(f"{self.vertex_url}/emulator/v1/stats", timeout=10).json()["calls"]
        return sum(v for k, v in stats.items() if "enerate" in k)

    def reconcile(self) -> dict[str, Any]:
        response = requests.post(f"{self.api.bases['reconciler']}/", timeout=120)
        assert response.status_code == 200, response.text
        return response.json()


def function_env(project: str, firestore: str, pubsub: str, vertex_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HS_", "K_"))}
    env.update(
        GOOGLE_CLOUD_PROJECT=project,
        FIRESTORE_EMULATOR_HOST=firestore,
        PUBSUB_EMULATOR_HOST=pubsub,
        HS_AUTH_MODE="dev",
        HS_LLM_PROVIDER="vertex",
        HS_VERTEX_ENDPOINT=vertex_url,
        HS_MESSAGES_TOPIC=TOPIC,
        HS_PUBLISH_TIMEOUT_S="2",
        HS_RECONCILE_MIN_AGE_S="0",
        HS_LOG_LEVEL="WARNING",
    )
    return env


def start_function(name: str, env: dict[str, str]) -> ManagedProcess:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = ManagedProcess(
        name=name,
        argv=python_module(
            "functions_framework",
            "--source",
            str(REPO_ROOT / "functions" / name / "main.py"),
            "--target",
            name,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ),
        host="127.0.0.1",
        port=port,
        env=env,
        log_path=LOG_DIR / f"fn-{name}-{port}.log",
    )
    return proc.start(timeout=60)


def create_topic(pubsub_host: str, project: str) -> None:
    """The messages topic and one pull subscription that sees every event."""
    import google.cloud.pubsub_v1 as pubsub_v1
    from google.api_core import exceptions

    os.environ["PUBSUB_EMULATOR_HOST"] = pubsub_host
    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    topic = publisher.topic_path(project, TOPIC)
    subscription = subscriber.subscription_path(project, SUBSCRIPTION)
    with suppress(exceptions.AlreadyExists):
        publisher.create_topic(name=topic)
    with suppress(exceptions.AlreadyExists):
        subscriber.create_subscription(name=subscription, topic=topic, ack_deadline_seconds=60)


def pull_events(pubsub_host: str, project: str, *, expect: int, timeout: float = 30.0) -> list:
    """Every event on the test subscription until `expect` arrived and a quiet second passed."""
    import google.cloud.pubsub_v1 as pubsub_v1
    from google.api_core import exceptions

    os.environ["PUBSUB_EMULATOR_HOST"] = pubsub_host
    subscriber = pubsub_v1.SubscriberClient()
    subscription = subscriber.subscription_path(project, SUBSCRIPTION)
    events: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    quiet_until = None
    while time.monotonic() < deadline:
        try:
            response = subscriber.pull(
                request={"subscription": subscription, "max_messages": 500},
                timeout=2,
                retry=None,
            )
        except exceptions.DeadlineExceeded:  # an empty subscription holds a pull open
            response = None
        if response is not None and response.received_messages:
            for received in response.received_messages:
                event = json.loads(received.message.data)
                event["_attributes"] = dict(received.message.attributes)
                events.append(event)
            subscriber.acknowledge(
                request={
                    "subscription": subscription,
                    "ack_ids": [m.ack_id for m in response.received_messages],
                }
            )
            quiet_until = None
        elif len(events) >= expect:
            quiet_until = quiet_until or time.monotonic() + 1.0
            if time.monotonic() >= quiet_until:
                break
        else:
            time.sleep(0.1)
    return events


@contextmanager
def pubsub_emulator_process() -> Iterator[ManagedProcess]:
    """A Pub/Sub emulator of the caller's own (so it can be stopped): ours, else Google's."""
    if (REPO_ROOT / "emulators" / "pubsub" / "__main__.py").exists():
        proc = start_emulator("pubsub-own", "emulators.pubsub")
    elif shutil.which("gcloud"):
        port = free_port()
        proc = ManagedProcess(
            name="pubsub-gcloud",
            argv=[
                "gcloud",
                "beta",
                "emulators",
                "pubsub",
                "start",
                f"--host-port=127.0.0.1:{port}",
            ],
            host="127.0.0.1",
            port=port,
            log_path=LOG_DIR / f"pubsub-gcloud-{port}.log",
        ).start(timeout=60)
    else:
        pytest.skip("no Pub/Sub emulator available")
    try:
        yield proc
    finally:
        proc.stop()


def pubsub_host(request: pytest.FixtureRequest) -> str:
    """The session's Pub/Sub emulator fixture; Google's emulator (stopped with the requesting
    fixture) stands in while ours is missing from the tree, as the local stack does."""
    if (REPO_ROOT / "emulators" / "pubsub" / "__main__.py").exists():
        return request.getfixturevalue("pubsub_emulator").address
    context = pubsub_emulator_process()
    proc = context.__enter__()
    request.addfinalizer(lambda: context.__exit__(None, None, None))
    return proc.address


@contextmanager
def deploy(firestore_host: str, pubsub_host: str, project: str) -> Iterator[Deployment]:
    """Vertex emulator + the three functions, for one project; everything stopped after."""
    with ExitStack() as stack:
        vertex = start_emulator("vertex", "emulators.vertex")
        stack.callback(vertex.stop)
        vertex_url = f"http://{vertex.address}"
        create_topic(pubsub_host, project)
        env = function_env(project, firestore_host, pubsub_host, vertex_url)
        with ThreadPoolExecutor(len(FUNCTIONS)) as pool:
            futures = {name: pool.submit(start_function, name, env) for name in FUNCTIONS}
        started: dict[str, ManagedProcess] = {}
        failures = []
        for name, future in futures.items():
            try:
                started[name] = future.result()
                stack.callback(started[name].stop)
            except Exception as exc:  # stop the others before failing
                failures.append(exc)
        if failures:
            raise failures[0]
        bases = {name: f"http://{proc.address}" for name, proc in started.items()}
        yield Deployment(Api(bases), project, vertex_url, pubsub_host, firestore_host, started)


def firestore_client(firestore_host: str, project: str) -> Any:
    from google.cloud import firestore

    os.environ["FIRESTORE_EMULATOR_HOST"] = firestore_host
    return firestore.Client(project=project)


def count_tenant_docs(db: Any, tenant: str) -> dict[str, int]:
    """Sessions, messages and idempotency records stored under a tenant (no index needed)."""
    root = db.collection("tenants").document(tenant)
    sessions = list(root.collection("sessions").stream())
    messages = sum(len(list(s.reference.collection("messages").stream())) for s in sessions)
    idempotency = len(list(root.collection("idempotency").stream()))
    return {"sessions": len(sessions), "messages": messages, "idempotency": idempotency}
