"""Page tokens, trace fields, the contention retry and the Pub/Sub publisher's failure report."""

from __future__ import annotations

import json
from concurrent.futures import Future
from datetime import UTC, datetime

import google.cloud.pubsub_v1 as pubsub_v1
import pytest
from google.api_core import exceptions as gexc

from shared.adapters.firestore._errors import translated, with_contention_retry
from shared.domain import page_tokens
from shared.domain.errors import InvalidInput, NotFound, Unavailable
from shared.domain.events import UserErased
from shared.logs import trace_fields


def test_page_tokens_round_trip_and_are_bound_to_their_query() -> None:
    token = page_tokens.encode("messages:asc", {"seq": 41})
    assert "=" not in token and "/" not in token and "+" not in token
    assert page_tokens.decode(token, "messages:asc") == {"seq": 41}
    with pytest.raises(InvalidInput) as err:
        page_tokens.decode(token, "messages:desc")
    assert err.value.code == "invalid_page_token"
    for bad in ["", "!!!", "a" * 3000, page_tokens.encode("messages:asc", {})[:-3]]:
        with pytest.raises(InvalidInput):
            cursor = page_tokens.decode(bad, "messages:asc")
            page_tokens.require(cursor or {}, "seq", int)
    with pytest.raises(InvalidInput):
        page_tokens.require({"seq": True}, "seq", int)
    with pytest.raises(InvalidInput):
        page_tokens.require_time({"t": "yesterday"}, "t")


def test_trace_fields_from_cloud_trace_header() -> None:
    fields = trace_fields("105445aa7843bc8bf206b12000100000/1;o=1", "proj")
    assert fields == {
        "logging.googleapis.com/trace": "projects/proj/traces/105445aa7843bc8bf206b12000100000",
        "logging.googleapis.com/spanId": "0000000000000001",
        "logging.googleapis.com/trace_sampled": True,
    }
    assert trace_fields(None, "proj") == {} and trace_fields("zz/1", "proj") == {}


def test_contention_retry_retries_aborted_only() -> None:
    calls = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            try:
                raise gexc.Aborted("contention")
            except gexc.Aborted as exc:  # as the client's rollback would hide it
                raise gexc.InvalidArgument("transaction closed") from exc
        return "ok"

    assert with_contention_retry(flaky) == "ok" and len(calls) == 3
    with pytest.raises(Unavailable) as err:
        with_contention_retry(_abort, attempts=3)
    assert err.value.code == "contention"
    with pytest.raises(gexc.InvalidArgument):
        with_contention_retry(lambda: (_ for _ in ()).throw(gexc.InvalidArgument("bad")))


def _abort() -> str:
    try:
        raise gexc.Aborted("contention")
    except gexc.Aborted as exc:
        raise gexc.InvalidArgument("transaction closed") from exc


def test_google_errors_become_domain_errors() -> None:
    for google, ours in [
        (gexc.ServiceUnavailable("down"), Unavailable),
        (gexc.DeadlineExceeded("slow"), Unavailable),
        (gexc.NotFound("gone"), NotFound),
        (gexc.InvalidArgument("too big"), InvalidInput),
    ]:
        with pytest.raises(ours), translated():
            raise google


class _FakePublisherClient(pubsub_v1.PublisherClient):
    def __init__(self) -> None:  # no channel: the fake records what the adapter sends
        self.sent: list[tuple[bytes, dict]] = []
        self.fail_ids: set[str] = set()
        self.resumed: list[str] = []

    def publish(self, topic, data, ordering_key="", retry=None, timeout=None, **attrs):
        future: Future = Future()
        if attrs["event_id"] in self.fail_ids:
            future.set_exception(gexc.ServiceUnavailable("down"))
        else:
            self.sent.append((data, attrs))
            future.set_result("1")
        return future

    def resume_publish(self, topic, key) -> None:
        self.resumed.append(key)


def test_publisher_sends_json_with_attributes_and_reports_partial_failure() -> None:
    from shared.adapters.pubsub.event_publisher import PubSubEventPublisher

    client = _FakePublisherClient()
    publisher = PubSubEventPublisher(
        client, "projects/p/topics/hs-messages", ordering=True, timeout_s=5.0
    )
    events = [
        UserErased(
            event_id=f"e{i}",
            tenant_id="t",
            user_id="u",
            occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
        for i in range(3)
    ]
    publisher.publish(events[:1])
    data, attrs = client.sent[0]
    assert json.loads(data)["event_id"] == "e0"
    assert attrs == {
        "event_type": "user.erased",
        "event_id": "e0",
        "tenant_id": "t",
        "schema_version": "1",
    }
    client.fail_ids = {"e1"}
    with pytest.raises(Unavailable) as err:
        publisher.publish(events)
    assert err.value.details["published"] == ["e0", "e2"]
    assert client.resumed == ["user:t:u"]
