"""Push subscriptions: the standard envelope POSTed to a local HTTP endpoint, 2xx = ack, anything
else = nack with exponential backoff, a bound on outstanding requests, pull <-> push switching."""

from __future__ import annotations

import base64
import itertools
import json
import time
from datetime import UTC, datetime

import pytest
from google.pubsub_v1 import types

from emulators.launcher import free_port

from .conftest import PubSub, fast_retry
from .push_endpoint import PushEndpoint


def _b64json(segment: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


@pytest.mark.ours_only("Google's push envelope has no deliveryAttempt")
def test_endpoint_failing_twice_then_succeeding_gets_three_deliveries(ps: PubSub) -> None:
    with PushEndpoint(statuses=[500, 503]) as endpoint:
        topic, dlq = ps.topic(), ps.topic("dlq")
        sub = ps.subscription(
            topic,
            push_config={"push_endpoint": endpoint.url("/push?token=abc")},
            dead_letter_policy={"dead_letter_topic": dlq, "max_delivery_attempts": 5},
            retry_policy=fast_retry(),
        )
        (message_id,) = ps.publish(topic, b"hello push", lang="en", n="1")
        requests = endpoint.wait_for(3)
        time.sleep(0.4)  # acknowledged by the third answer: no fourth request
        assert len(endpoint.received) == 3
    assert [r.status for r in requests] == [500, 503, 204]
    assert [r.json["deliveryAttempt"] for r in requests] == [1, 2, 3]
    for r in requests:
        assert r.path == "/push?token=abc"
        assert r.headers["content-type"] == "application/json"
        body = r.json
        assert set(body) == {"message", "subscription", "deliveryAttempt"}
        assert body["subscription"] == sub
        msg = body["message"]
        assert set(msg) == {
            "attributes",
            "data",
            "messageId",
            "message_id",
            "publishTime",
            "publish_time",
        }
        assert base64.b64decode(msg["data"]) == b"hello push"
        assert msg["attributes"] == {"lang": "en", "n": "1"}
        assert msg["messageId"] == msg["message_id"] == message_id
        assert msg["publishTime"] == msg["publish_time"]
        assert msg["publishTime"].endswith("Z")
        published = datetime.fromisoformat(msg["publishTime"].replace("Z", "+00:00"))
        assert abs((datetime.now(UTC) - published).total_seconds()) < 30


def test_success_statuses_acknowledge(ps: PubSub) -> None:
    with PushEndpoint(statuses=[102, 200, 201, 202, 204]) as endpoint:
        topic = ps.topic()
        ps.subscription(topic, push_config=types.PushConfig(push_endpoint=endpoint.url()))
        ps.publish(topic, *[f"m{i}".encode() for i in range(5)])
        requests = endpoint.wait_for(5)
        time.sleep(0.5)
        assert len(endpoint.received) == 5
    assert sorted(r.status for r in requests) == [102, 200, 201, 202, 204]
    assert all("deliveryAttempt" not in r.json for r in requests)  # no dead-letter policy


@pytest.mark.ours_only("Google's acknowledges a 203 answer; production only 102, 200-202, 204")
def test_other_statuses_are_nacks(ps: PubSub) -> None:
    with PushEndpoint(statuses=[203, 301, 404, 429, 500]) as endpoint:
        topic = ps.topic()
        ps.subscription(
            topic,
            push_config=types.PushConfig(push_endpoint=endpoint.url()),
            retry_policy=fast_retry(0.02, 0.05),
        )
        ps.publish(topic, b"retry me")
        requests = endpoint.wait_for(6)
        time.sleep(0.3)
        assert len(endpoint.received) == 6
    assert [r.status for r in requests] == [203, 301, 404, 429, 500, 204]
    assert len({r.json["message"]["messageId"] for r in requests}) == 1


@pytest.mark.ours_only("Google's push envelope has no deliveryAttempt")
def test_connection_errors_are_nacks(ps: PubSub) -> None:
    topic, dlq = ps.topic(), ps.topic("dlq")
    nobody = f"http://127.0.0.1:{free_port()}/push"
    sub = ps.subscription(
        topic,
        push_config={"push_endpoint": nobody},
        dead_letter_policy={"dead_letter_topic": dlq, "max_delivery_attempts": 100},
        retry_policy=fast_retry(0.05, 0.05),
    )
    ps.publish(topic, b"undeliverable for now")
    time.sleep(0.5)
    with PushEndpoint() as endpoint:
        ps.subscriber.modify_push_config(
            subscription=sub, push_config=types.PushConfig(push_endpoint=endpoint.url())
        )
        (request,) = endpoint.wait_for(1)
    assert request.json["deliveryAttempt"] > 2  # the refused connections were attempts


@pytest.mark.ours_only("Google's retries a failed push about once a second")
def test_failed_pushes_back_off_exponentially(ps: PubSub) -> None:
    with PushEndpoint(statuses=[500, 500, 500]) as endpoint:
        topic = ps.topic()
        ps.subscription(
            topic,
            push_config=types.PushConfig(push_endpoint=endpoint.url()),
            retry_policy=fast_retry(0.1, 0.4),
        )
        ps.publish(topic, b"backoff")
        requests = endpoint.wait_for(4)
    gaps = [b.at - a.at for a, b in itertools.pairwise(requests)]
    for gap, expected in zip(gaps, [0.1, 0.2, 0.4], strict=True):
        assert expected * 0.9 <= gap <= expected + 1.5, gaps  # lower bound exact, upper loose


def test_default_push_backoff_without_a_retry_policy(ps: PubSub, emulator_flavour: str) -> None:
    """Pub/Sub's push backoff starts at 100 ms when the subscription has no retry policy;
    Google's emulator (an intended difference) retries a failed push after about a second."""
    with PushEndpoint(statuses=[500]) as endpoint:
        topic = ps.topic()
        ps.subscription(topic, push_config=types.PushConfig(push_endpoint=endpoint.url()))
        ps.publish(topic, b"soon again")
        first, second = endpoint.wait_for(2)
    if emulator_flavour == "official":
        assert 0.5 <= second.at - first.at < 5.0
    else:
        assert 0.05 <= second.at - first.at < 1.0


def test_outstanding_push_requests_are_bounded(ps: PubSub) -> None:
    with PushEndpoint(delay_s=0.15) as endpoint:
        topic = ps.topic()
        ps.subscription(topic, push_config=types.PushConfig(push_endpoint=endpoint.url()))
        ps.publish(topic, *[f"m{i}".encode() for i in range(12)])
        requests = endpoint.wait_for(12, timeout=15)
        time.sleep(0.3)
        assert len(endpoint.received) == 12
    assert len({r.json["message"]["messageId"] for r in requests}) == 12
    assert 2 <= endpoint.max_in_flight <= 4  # the emulator's default bound per subscription


def test_switching_between_pull_and_push(ps: PubSub) -> None:
    topic = ps.topic()
    sub = ps.subscription(topic)
    ps.publish(topic, b"pulled")
    ps.ack(sub, ps.pull(sub))
    with PushEndpoint() as endpoint:
        ps.subscriber.modify_push_config(
            subscription=sub, push_config=types.PushConfig(push_endpoint=endpoint.url())
        )
        assert ps.subscriber.get_subscription(subscription=sub).push_config.push_endpoint
        ps.publish(topic, b"pushed")
        (request,) = endpoint.wait_for(1)
        assert base64.b64decode(request.json["message"]["data"]) == b"pushed"
        ps.subscriber.modify_push_config(subscription=sub, push_config=types.PushConfig())
        ps.publish(topic, b"pulled again")
        assert [r.message.data for r in ps.pull(sub)] == [b"pulled again"]
        time.sleep(0.3)
        assert len(endpoint.received) == 1
    # UpdateSubscription switches too.
    with PushEndpoint() as endpoint:
        ps.subscriber.update_subscription(
            request={
                "subscription": {"name": sub, "push_config": {"push_endpoint": endpoint.url()}},
                "update_mask": {"paths": ["push_config"]},
            }
        )
        ps.publish(topic, b"pushed again")
        assert base64.b64decode(endpoint.wait_for(1)[0].json["message"]["data"]) == b"pushed again"


@pytest.mark.ours_only("Google's push envelope leaves out orderingKey")
def test_ordering_key_is_in_the_envelope_and_held_back(ps: PubSub) -> None:
    import google.cloud.pubsub_v1 as pubsub_v1

    with PushEndpoint(statuses=[500]) as endpoint:
        topic = ps.topic()
        ps.subscription(
            topic,
            push_config=types.PushConfig(push_endpoint=endpoint.url()),
            enable_message_ordering=True,
            retry_policy=fast_retry(),
        )
        publisher = pubsub_v1.PublisherClient(
            publisher_options=pubsub_v1.types.PublisherOptions(enable_message_ordering=True)
        )
        for i in range(3):
            publisher.publish(topic, f"o{i}".encode(), ordering_key="key").result(timeout=10)
        requests = endpoint.wait_for(4)
    bodies = [base64.b64decode(r.json["message"]["data"]) for r in requests]
    assert bodies == [b"o0", b"o0", b"o1", b"o2"]  # o1 waited for o0's redelivery
    assert {r.json["message"]["orderingKey"] for r in requests} == {"key"}


@pytest.mark.ours_only("Google's emulator re-encodes no_wrapper data as UTF-8")
def test_no_wrapper_sends_the_raw_data(ps: PubSub) -> None:
    with PushEndpoint() as endpoint:
        topic = ps.topic()
        sub = ps.subscription(
            topic,
            push_config={
                "push_endpoint": endpoint.url("/raw"),
                "no_wrapper": {"write_metadata": True},
            },
        )
        (message_id,) = ps.publish(topic, b"\x00raw bytes\xff", colour="blue")
        (request,) = endpoint.wait_for(1)
    assert request.body == b"\x00raw bytes\xff"
    assert request.headers["colour"] == "blue"
    assert request.headers["x-goog-pubsub-subscription-name"] == sub
    assert request.headers["x-goog-pubsub-message-id"] == message_id
    assert request.headers["x-goog-pubsub-publish-time"].endswith("Z")


@pytest.mark.ours_only("Google's emulator sends no OIDC token")
def test_oidc_token_is_a_fake_bearer_jwt(ps: PubSub) -> None:
    with PushEndpoint() as endpoint:
        topic = ps.topic()
        ps.subscription(
            topic,
            push_config={
                "push_endpoint": endpoint.url(),
                "oidc_token": {
                    "service_account_email": "pusher@p.iam.gserviceaccount.com",
                    "audience": "https://ingest.example",
                },
            },
        )
        ps.publish(topic, b"authenticated")
        (request,) = endpoint.wait_for(1)
    scheme, token = request.headers["authorization"].split(" ", 1)
    assert scheme == "Bearer"
    header, payload, _signature = token.split(".")
    assert _b64json(header)["alg"] == "RS256"
    claims = _b64json(payload)
    assert claims["aud"] == "https://ingest.example"
    assert claims["email"] == "pusher@p.iam.gserviceaccount.com"
    assert claims["iss"] == "https://accounts.google.com"
    assert claims["exp"] > claims["iat"]
