"""Push delivery: POST each message of a push subscription to its endpoint.

A dispatcher thread leases ready messages of every push subscription (at most
`push_max_outstanding` requests in flight per subscription) and hands them to a small pool of
worker threads. A worker POSTs the standard push envelope

    {"message": {"attributes": {...}, "data": "<base64>", "messageId": "1", "message_id": "1",
                 "publishTime": "...Z", "publish_time": "...Z", "orderingKey": "k"?},
     "subscription": "projects/p/subscriptions/s", "deliveryAttempt": n?}

(`deliveryAttempt` only when the subscription has a dead-letter policy) with a timeout of the
subscription's ack deadline. 102, 200, 201, 202 and 204 acknowledge; any other status, a
redirect, a timeout or a connection error is a nack: the message is redelivered after the
retry policy's backoff (without one, Pub/Sub's push backoff: 100 ms doubling to 60 s) or goes
to the dead-letter topic.

`no_wrapper` sends the raw data as the body; with `write_metadata` the attributes become
headers, as do `x-goog-pubsub-subscription-name`, `-message-id`, `-publish-time` and
`-ordering-key`. `oidc_token` adds `Authorization: Bearer <JWT>`: a JWT with Google's claims
(iss, aud, email, email_verified, iat, exp) but a signature that is NOT valid; an endpoint that
verifies tokens must skip verification against the emulator.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import queue
import re
import threading
import time
from urllib.parse import urlsplit

from .state import PubSubState, PushJob

log = logging.getLogger("emulators.pubsub.push")

ACK_STATUSES = frozenset({102, 200, 201, 202, 204})
USER_AGENT = "APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)"
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def fake_oidc_token(email: str, audience: str, now: float | None = None) -> str:
    """An unsigned stand-in for the OIDC token Pub/Sub attaches to authenticated pushes."""
    iat = int(now if now is not None else time.time())
    header = {"alg": "RS256", "kid": "pubsub-emulator", "typ": "JWT"}
    claims = {
        "iss": "https://accounts.google.com",
        "aud": audience,
        "azp": email or "pubsub-emulator",
        "email": email,
        "email_verified": True,
        "sub": email or "pubsub-emulator",
        "iat": iat,
        "exp": iat + 3600,
    }
    parts = [json.dumps(header).encode(), json.dumps(claims).encode(), b"emulator-unsigned"]
    return ".".join(_b64url(p) for p in parts)


def envelope(job: PushJob) -> dict:
    m = job.message
    published = m.publish_time.ToJsonString()
    message: dict = {}
    if m.attributes:
        message["attributes"] = dict(m.attributes)
    message["data"] = base64.b64encode(m.data).decode()
    message["messageId"] = m.message_id
    message["message_id"] = m.message_id
    message["publishTime"] = published
    message["publish_time"] = published
    if m.ordering_key:
        message["orderingKey"] = m.ordering_key
    body: dict = {"message": message, "subscription": job.subscription}
    if job.delivery_attempt is not None:
        body["deliveryAttempt"] = job.delivery_attempt
    return body


def build_request(job: PushJob) -> tuple[bytes, dict[str, str]]:
    cfg = job.push_config
    headers = {"User-Agent": USER_AGENT}
    if cfg.HasField("no_wrapper"):
        body = bytes(job.message.data)
        headers["Content-Type"] = "application/octet-stream"
        if cfg.no_wrapper.write_metadata:
            m = job.message
            for k, v in m.attributes.items():
                if _HEADER_NAME.fullmatch(k) and "\n" not in v and "\r" not in v:
                    headers[k] = v
            headers["x-goog-pubsub-subscription-name"] = job.subscription
            headers["x-goog-pubsub-message-id"] = m.message_id
            headers["x-goog-pubsub-publish-time"] = m.publish_time.ToJsonString()
            if m.ordering_key:
                headers["x-goog-pubsub-ordering-key"] = m.ordering_key
    else:
        body = json.dumps(envelope(job)).encode()
        headers["Content-Type"] = "application/json"
    if cfg.HasField("oidc_token"):
        audience = cfg.oidc_token.audience or cfg.push_endpoint
        token = fake_oidc_token(cfg.oidc_token.service_account_email, audience)
        headers["Authorization"] = f"Bearer {token}"
    return body, headers


def post(url: str, body: bytes, headers: dict[str, str], timeout_s: float) -> tuple[bool, str]:
    """(acknowledged, error text). Redirects are not followed: they are nacks, as on Pub/Sub."""
    parts = urlsplit(url)
    conn_cls = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn = conn_cls(parts.hostname or "", parts.port, timeout=timeout_s)
    try:
        conn.request("POST", path, body=body, headers=headers)
        resp = conn.getresponse()
        resp.read()
        if resp.status in ACK_STATUSES:
            return True, ""
        return False, f"push endpoint answered HTTP {resp.status}"
    except TimeoutError:
        return False, "push endpoint timed out"
    except (OSError, http.client.HTTPException) as exc:
        return False, f"push endpoint unreachable: {exc}"
    finally:
        conn.close()


class PushDeliverer:
    """The dispatcher thread and the worker pool; `stop()` ends them (daemon threads)."""

    def __init__(self, state: PubSubState, workers: int = 8) -> None:
        self.state = state
        self._jobs: queue.Queue[PushJob | None] = queue.Queue()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._dispatch, name="pubsub-push", daemon=True)]
        self._threads += [
            threading.Thread(target=self._work, name=f"pubsub-push-{i}", daemon=True)
            for i in range(max(1, workers))
        ]

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def stop(self, timeout_s: float = 0.5) -> None:
        """Stop dispatching; idle workers exit at once, a worker in the middle of a request
        exits when it returns (daemon threads: they never hold the process up)."""
        self._stop.set()
        with self.state.cond:
            self.state.cond.notify_all()
        for _ in self._threads[1:]:
            self._jobs.put(None)
        deadline = time.monotonic() + timeout_s
        for t in self._threads:
            if t.is_alive():
                t.join(max(0.0, deadline - time.monotonic()))

    def _dispatch(self) -> None:
        seen = -1
        while not self._stop.is_set():
            try:
                with self.state.cond:
                    if self.state._version == seen:
                        self.state.cond.wait(0.25)
                    seen = self.state._version
                if self._stop.is_set():
                    return
                for job in self.state.lease_push():
                    self._jobs.put(job)
            except Exception:
                log.exception("push dispatcher failed; continuing")
                time.sleep(0.1)

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None or self._stop.is_set():
                return
            try:
                body, headers = build_request(job)
                ok, error = post(job.push_config.push_endpoint, body, headers, job.timeout_s)
            except Exception as exc:
                log.exception("push to %s failed", job.push_config.push_endpoint)
                ok, error = False, f"push failed: {exc}"
            if not ok:
                log.info(
                    "push of message %s for %s: %s", job.message.message_id, job.subscription, error
                )
            try:
                self.state.push_result(job.subscription, job.ack_id, ok, error)
            except Exception:
                log.exception("recording a push result failed")
