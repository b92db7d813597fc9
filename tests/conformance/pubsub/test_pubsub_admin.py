"""Topics and subscriptions through the official clients: create, get, list, update, delete,
and the error codes Pub/Sub answers with."""

from __future__ import annotations

import os

import grpc
import pytest
from google.api_core import exceptions
from google.protobuf import field_mask_pb2
from google.pubsub_v1 import types

from .conftest import PubSub, fast_retry, seconds, secs


def test_topic_create_get_list_delete(ps: PubSub) -> None:
    name = ps.topic(labels={"team": "memory"})
    got = ps.publisher.get_topic(topic=name)
    assert got.name == name
    assert got.labels == {"team": "memory"}
    listed = [t.name for t in ps.publisher.list_topics(project=f"projects/{ps.project}")]
    assert name in listed
    ps.publisher.delete_topic(topic=name)
    with pytest.raises(exceptions.NotFound):
        ps.publisher.get_topic(topic=name)
    with pytest.raises(exceptions.NotFound):
        ps.publisher.delete_topic(topic=name)


def test_topic_create_twice_is_already_exists(ps: PubSub) -> None:
    name = ps.topic()
    with pytest.raises(exceptions.AlreadyExists):
        ps.publisher.create_topic(name=name)


@pytest.mark.parametrize(
    "bad",
    [
        "projects/p/topics/ab",  # too short
        "projects/p/topics/1abc",  # must start with a letter
        "projects/p/topics/goog-topic",  # reserved prefix
        "projects/p/topics/has space",
        "projects/p/topic/abc",
        "topics/abc",
        "",
    ],
)
def test_malformed_topic_names_are_invalid_argument(ps: PubSub, bad: str) -> None:
    with pytest.raises(exceptions.InvalidArgument):
        ps.publisher.create_topic(name=bad)


@pytest.mark.ours_only("Google's emulator answers UNKNOWN to a malformed project")
def test_list_topics_pages_and_keeps_projects_apart(ps: PubSub) -> None:
    names = sorted(ps.topic(prefix=f"page{i}") for i in range(5))
    other = PubSub(ps.project + "-other", ps.publisher, ps.subscriber)
    foreign = other.topic()
    try:
        pager = ps.publisher.list_topics(
            request={"project": f"projects/{ps.project}", "page_size": 2}
        )
        pages = list(pager.pages)
        seen = [t.name for page in pages for t in page.topics]
        assert seen == names
        assert len(pages) == 3
        assert foreign not in seen
        assert [t.name for t in ps.publisher.list_topics(project=f"projects/{other.project}")] == [
            foreign
        ]
    finally:
        other.cleanup()
    with pytest.raises(exceptions.InvalidArgument):
        list(ps.publisher.list_topics(project="not-a-project-name"))


@pytest.mark.ours_only("Google's emulator does not keep a topic's message_retention_duration")
def test_topic_message_retention_duration(ps: PubSub) -> None:
    name = ps.topic(message_retention_duration=secs(3600))
    assert seconds(ps.publisher.get_topic(topic=name).message_retention_duration) == 3600
    updated = ps.publisher.update_topic(
        request={
            "topic": {"name": name, "message_retention_duration": secs(2 * 86400)},
            "update_mask": field_mask_pb2.FieldMask(paths=["message_retention_duration"]),
        }
    )
    assert seconds(updated.message_retention_duration) == 2 * 86400
    sub = ps.subscription(name)
    got = ps.subscriber.get_subscription(subscription=sub)
    assert seconds(got.topic_message_retention_duration) == 2 * 86400
    for bad in (secs(60), secs(32 * 86400)):  # 10 minutes .. 31 days
        with pytest.raises(exceptions.InvalidArgument):
            ps.publisher.create_topic(
                request={"name": ps.topic_path(), "message_retention_duration": bad}
            )


@pytest.mark.ours_only("Google's emulator does not know `labels` in an UpdateTopic mask")
def test_update_topic_needs_a_known_mask(ps: PubSub) -> None:
    name = ps.topic()
    updated = ps.publisher.update_topic(
        request={
            "topic": {"name": name, "labels": {"a": "b"}},
            "update_mask": {"paths": ["labels"]},
        }
    )
    assert updated.labels == {"a": "b"}
    with pytest.raises(exceptions.InvalidArgument):
        ps.publisher.update_topic(request={"topic": {"name": name}, "update_mask": {}})
    with pytest.raises(exceptions.InvalidArgument):
        ps.publisher.update_topic(
            request={"topic": {"name": name}, "update_mask": {"paths": ["no_such_field"]}}
        )
    with pytest.raises(exceptions.NotFound):
        ps.publisher.update_topic(
            request={
                "topic": {"name": ps.topic_path(), "labels": {"a": "b"}},
                "update_mask": {"paths": ["labels"]},
            }
        )


def test_subscription_create_get_list_delete(ps: PubSub) -> None:
    topic = ps.topic()
    sub = ps.subscription(topic, ack_deadline_seconds=30, labels={"k": "v"})
    got = ps.subscriber.get_subscription(subscription=sub)
    assert got.topic == topic
    assert got.ack_deadline_seconds == 30
    assert got.labels == {"k": "v"}
    assert seconds(got.message_retention_duration) == 7 * 86400  # the default
    assert sub in [
        s.name for s in ps.subscriber.list_subscriptions(project=f"projects/{ps.project}")
    ]
    assert list(ps.publisher.list_topic_subscriptions(topic=topic)) == [sub]
    with pytest.raises(exceptions.AlreadyExists):
        ps.subscriber.create_subscription(name=sub, topic=topic)
    ps.subscriber.delete_subscription(subscription=sub)
    with pytest.raises(exceptions.NotFound):
        ps.subscriber.get_subscription(subscription=sub)
    with pytest.raises(exceptions.NotFound):
        ps.subscriber.delete_subscription(subscription=sub)
    assert list(ps.publisher.list_topic_subscriptions(topic=topic)) == []


def test_default_ack_deadline_is_ten_seconds(ps: PubSub) -> None:
    sub = ps.subscription(ps.topic())
    assert ps.subscriber.get_subscription(subscription=sub).ack_deadline_seconds == 10


@pytest.mark.ours_only("Google's emulator accepts ack deadlines below 10 s")
@pytest.mark.parametrize("ack_deadline", [5, 9, 601, -1])
def test_ack_deadline_out_of_10_to_600_is_invalid(ps: PubSub, ack_deadline: int) -> None:
    topic = ps.topic()
    with pytest.raises(exceptions.InvalidArgument):
        ps.subscriber.create_subscription(
            name=ps.sub_path(), topic=topic, ack_deadline_seconds=ack_deadline
        )


def test_subscription_on_missing_topic_is_not_found(ps: PubSub) -> None:
    with pytest.raises(exceptions.NotFound):
        ps.subscriber.create_subscription(name=ps.sub_path(), topic=ps.topic_path())


@pytest.mark.parametrize(
    ("attempts", "error"),
    [(4, exceptions.OutOfRange), (101, exceptions.OutOfRange), (5, None), (100, None), (0, None)],
)
def test_dead_letter_attempts_must_be_5_to_100(
    ps: PubSub, attempts: int, error: type[Exception] | None
) -> None:
    topic, dlq = ps.topic(), ps.topic("dlq")
    name = ps.sub_path()
    request = {
        "name": name,
        "topic": topic,
        "dead_letter_policy": {"dead_letter_topic": dlq, "max_delivery_attempts": attempts},
    }
    if error is not None:
        with pytest.raises(error):
            ps.subscriber.create_subscription(request=request)
        return
    ps._subs.append(name)
    created = ps.subscriber.create_subscription(request=request)
    assert created.dead_letter_policy.max_delivery_attempts == (attempts or 5)


def test_dead_letter_topic_must_exist(ps: PubSub) -> None:
    with pytest.raises(exceptions.NotFound):
        ps.subscription(ps.topic(), dead_letter_policy={"dead_letter_topic": ps.topic_path("dlq")})


def test_retry_policy_bounds(ps: PubSub) -> None:
    topic = ps.topic()
    sub = ps.subscription(topic, retry_policy=fast_retry(0.1, 0.5))
    got = ps.subscriber.get_subscription(subscription=sub).retry_policy
    assert seconds(got.minimum_backoff) == pytest.approx(0.1)
    assert seconds(got.maximum_backoff) == pytest.approx(0.5)
    with pytest.raises(exceptions.InvalidArgument):
        ps.subscription(topic, retry_policy={"minimum_backoff": secs(700)})
    partial = ps.subscription(topic, retry_policy={"minimum_backoff": secs(1)})
    got = ps.subscriber.get_subscription(subscription=partial).retry_policy
    assert seconds(got.maximum_backoff) == 600  # the default fills in


@pytest.mark.ours_only("Google's emulator does not validate retention or push endpoints")
def test_subscription_retention_and_push_endpoint_validation(ps: PubSub) -> None:
    topic = ps.topic()
    with pytest.raises(exceptions.InvalidArgument):
        ps.subscription(topic, message_retention_duration=secs(60))
    with pytest.raises(exceptions.InvalidArgument):
        ps.subscription(topic, push_config={"push_endpoint": "not a url"})
    with pytest.raises(exceptions.InvalidArgument):
        ps.subscription(topic, filter="this is not a filter")


def test_update_subscription(ps: PubSub) -> None:
    topic, dlq = ps.topic(), ps.topic("dlq")
    sub = ps.subscription(topic)
    updated = ps.subscriber.update_subscription(
        request={
            "subscription": {
                "name": sub,
                "ack_deadline_seconds": 42,
                "dead_letter_policy": {"dead_letter_topic": dlq, "max_delivery_attempts": 7},
                "retry_policy": fast_retry(),
            },
            "update_mask": {
                "paths": ["ack_deadline_seconds", "dead_letter_policy", "retry_policy"]
            },
        }
    )
    assert updated.ack_deadline_seconds == 42
    assert updated.dead_letter_policy.max_delivery_attempts == 7
    assert ps.subscriber.get_subscription(subscription=sub).ack_deadline_seconds == 42
    cases: list[tuple[str, dict[str, object]]] = [
        ("enable_message_ordering", {"enable_message_ordering": True}),
        ("topic", {"topic": dlq}),
        ("filter", {"filter": "attributes:x"}),
        ("nonsense", {}),
    ]
    for path, fields in cases:
        with pytest.raises(exceptions.InvalidArgument):
            ps.subscriber.update_subscription(
                request={"subscription": {"name": sub, **fields}, "update_mask": {"paths": [path]}}
            )
    with pytest.raises(exceptions.InvalidArgument):
        ps.subscriber.update_subscription(
            request={
                "subscription": {"name": sub, "ack_deadline_seconds": 1000},
                "update_mask": {"paths": ["ack_deadline_seconds"]},
            }
        )
    with pytest.raises(exceptions.NotFound):
        ps.subscriber.update_subscription(
            request={
                "subscription": {"name": ps.sub_path(), "ack_deadline_seconds": 20},
                "update_mask": {"paths": ["ack_deadline_seconds"]},
            }
        )


def test_deleting_a_topic_detaches_its_subscriptions(ps: PubSub) -> None:
    topic = ps.topic()
    sub = ps.subscription(topic)
    ps.publish(topic, b"before the delete")
    ps.publisher.delete_topic(topic=topic)
    assert ps.subscriber.get_subscription(subscription=sub).topic == "_deleted-topic_"
    # The backlog stays pullable; a new topic of the same name does not reattach.
    assert [r.message.data for r in ps.pull(sub)] == [b"before the delete"]
    ps.publisher.create_topic(name=topic)
    ps.publish(topic, b"after")
    assert ps.subscriber.get_subscription(subscription=sub).topic == "_deleted-topic_"
    assert ps.pull_now(sub) == []
    assert list(ps.publisher.list_topic_subscriptions(topic=topic)) == []


@pytest.mark.ours_only("Google's emulator does not implement DetachSubscription")
def test_detach_subscription(ps: PubSub) -> None:
    topic = ps.topic()
    sub = ps.subscription(topic)
    ps.publish(topic, b"x")
    ps.publisher.detach_subscription(request={"subscription": sub})
    assert ps.subscriber.get_subscription(subscription=sub).detached
    with pytest.raises(exceptions.FailedPrecondition):
        ps.pull_now(sub)


@pytest.mark.ours_only("Google's emulator implements snapshots, ours does not")
def test_unimplemented_rpcs_answer_unimplemented(ps: PubSub) -> None:
    sub = ps.subscription(ps.topic())
    with pytest.raises(exceptions.MethodNotImplemented):
        ps.subscriber.create_snapshot(
            name=f"projects/{ps.project}/snapshots/snap1", subscription=sub
        )
    with pytest.raises(exceptions.MethodNotImplemented):
        ps.subscriber.seek(
            request={"subscription": sub, "snapshot": f"projects/{ps.project}/snapshots/snap1"}
        )
    with pytest.raises(exceptions.MethodNotImplemented):
        ps.publisher.get_iam_policy(request={"resource": sub})
    # ...and the emulator keeps answering.
    assert ps.subscriber.get_subscription(subscription=sub).name == sub


def test_generated_admin_clients_work_through_the_emulator_host(ps: PubSub) -> None:
    """google.pubsub_v1's own clients honour PUBSUB_EMULATOR_HOST too."""
    from google.pubsub_v1 import PublisherClient, SubscriberClient

    admin, subs = PublisherClient(), SubscriberClient()
    name = ps.topic_path()
    ps._topics.append(name)
    assert admin.create_topic(request=types.Topic(name=name)).name == name
    sub = ps.sub_path()
    ps._subs.append(sub)
    subs.create_subscription(request=types.Subscription(name=sub, topic=name))
    assert list(admin.list_topic_subscriptions(topic=name)) == [sub]


@pytest.mark.ours_only("Google's emulator answers UNKNOWN to malformed requests")
def test_malformed_requests_never_crash_the_emulator(ps: PubSub) -> None:
    """Garbage on the wire is an error answer, and the emulator keeps serving."""
    channel = grpc.insecure_channel(os.environ["PUBSUB_EMULATOR_HOST"])
    call = channel.unary_unary("/google.pubsub.v1.Publisher/Publish")  # type: ignore[call-arg]  # grpc-stubs make the optional serializers required
    with pytest.raises(grpc.RpcError) as err:
        call(b"\xff\xff\xff\xff", timeout=5)
    assert err.value.code() in (grpc.StatusCode.INTERNAL, grpc.StatusCode.INVALID_ARGUMENT)
    unknown = channel.unary_unary("/google.pubsub.v1.Publisher/NoSuchMethod")  # type: ignore[call-arg]  # as above
    with pytest.raises(grpc.RpcError) as err:
        unknown(b"", timeout=5)
    assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED
    channel.close()
    assert ps.publisher.get_topic(topic=ps.topic()).name
