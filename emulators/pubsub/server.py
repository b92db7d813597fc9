"""gRPC wiring of the Pub/Sub emulator and the in-process `Server`.

Services `google.pubsub.v1.Publisher` and `google.pubsub.v1.Subscriber` are registered with
generic handlers on the proto-plus types `google-cloud-pubsub` ships (`Type.deserialize` /
`Type.serialize`); methods not listed here (snapshots, IAM, SchemaService) answer
UNIMPLEMENTED. Every handler maps `ApiError` to its status and any other exception to INTERNAL
(logged), so bad input never takes the server down.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass
from typing import Any, Protocol

import grpc
from google.protobuf import empty_pb2
from google.pubsub_v1 import types

from .names import ApiError
from .push import PushDeliverer
from .state import Clock, PubSubState
from .streaming import Stream

log = logging.getLogger("emulators.pubsub")

_EMPTY = empty_pb2.Empty()
_MAX_PULL_WAIT_S = 30.0


@dataclass
class _Injected:
    code: grpc.StatusCode
    message: str
    remaining: int


class Servicer:
    """The RPCs: thin translation between requests and `PubSubState`."""

    def __init__(self, state: PubSubState) -> None:
        self.state = state

    # ---- Publisher
    def CreateTopic(self, req: types.Topic, ctx: grpc.ServicerContext) -> types.Topic:
        return self.state.create_topic(types.Topic.pb(req))

    def UpdateTopic(self, req: types.UpdateTopicRequest, ctx: grpc.ServicerContext) -> object:
        pb = types.UpdateTopicRequest.pb(req)
        return self.state.update_topic(pb.topic, list(pb.update_mask.paths))

    def Publish(self, req: types.PublishRequest, ctx: grpc.ServicerContext) -> object:
        pb = types.PublishRequest.pb(req)
        ids = self.state.publish(pb.topic, list(pb.messages))
        return types.PublishResponse.pb()(message_ids=ids)

    def GetTopic(self, req: types.GetTopicRequest, ctx: grpc.ServicerContext) -> object:
        return self.state.get_topic(req.topic)

    def ListTopics(self, req: types.ListTopicsRequest, ctx: grpc.ServicerContext) -> object:
        topics, nxt = self.state.list_topics(req.project, req.page_size, req.page_token)
        return types.ListTopicsResponse.pb()(topics=topics, next_page_token=nxt)

    def ListTopicSubscriptions(
        self, req: types.ListTopicSubscriptionsRequest, ctx: grpc.ServicerContext
    ) -> object:
        names, nxt = self.state.list_topic_subscriptions(req.topic, req.page_size, req.page_token)
        return types.ListTopicSubscriptionsResponse.pb()(subscriptions=names, next_page_token=nxt)

    def DeleteTopic(self, req: types.DeleteTopicRequest, ctx: grpc.ServicerContext) -> object:
        self.state.delete_topic(req.topic)
        return _EMPTY

    def DetachSubscription(
        self, req: types.DetachSubscriptionRequest, ctx: grpc.ServicerContext
    ) -> object:
        self.state.detach_subscription(req.subscription)
        return types.DetachSubscriptionResponse.pb()()

    # ---- Subscriber
    def CreateSubscription(self, req: types.Subscription, ctx: grpc.ServicerContext) -> object:
        return self.state.create_subscription(types.Subscription.pb(req))

    def GetSubscription(
        self, req: types.GetSubscriptionRequest, ctx: grpc.ServicerContext
    ) -> object:
        return self.state.get_subscription(req.subscription)

    def UpdateSubscription(
        self, req: types.UpdateSubscriptionRequest, ctx: grpc.ServicerContext
    ) -> object:
        pb = types.UpdateSubscriptionRequest.pb(req)
        return self.state.update_subscription(pb.subscription, list(pb.update_mask.paths))

    def ListSubscriptions(
        self, req: types.ListSubscriptionsRequest, ctx: grpc.ServicerContext
    ) -> object:
        subs, nxt = self.state.list_subscriptions(req.project, req.page_size, req.page_token)
        return types.ListSubscriptionsResponse.pb()(subscriptions=subs, next_page_token=nxt)

    def DeleteSubscription(
        self, req: types.DeleteSubscriptionRequest, ctx: grpc.ServicerContext
    ) -> object:
        self.state.delete_subscription(req.subscription)
        return _EMPTY

    def ModifyAckDeadline(
        self, req: types.ModifyAckDeadlineRequest, ctx: grpc.ServicerContext
    ) -> object:
        pb = types.ModifyAckDeadlineRequest.pb(req)
        self.state.modify_ack_deadline(pb.subscription, list(pb.ack_ids), pb.ack_deadline_seconds)
        return _EMPTY

    def Acknowledge(self, req: types.AcknowledgeRequest, ctx: grpc.ServicerContext) -> object:
        pb = types.AcknowledgeRequest.pb(req)
        self.state.acknowledge(pb.subscription, list(pb.ack_ids))
        return _EMPTY

    def Pull(self, req: types.PullRequest, ctx: grpc.ServicerContext) -> object:
        pb = types.PullRequest.pb(req)
        remaining = ctx.time_remaining()
        wait_s = _MAX_PULL_WAIT_S if remaining is None else min(_MAX_PULL_WAIT_S, remaining - 0.2)
        got = self.state.pull(pb.subscription, pb.max_messages, pb.return_immediately, wait_s)
        return types.PullResponse.pb()(received_messages=got)

    def StreamingPull(self, requests: Iterator, ctx: grpc.ServicerContext) -> Iterator:
        try:
            first = next(requests)
        except StopIteration:
            return
        first = types.StreamingPullRequest.pb(first)
        raw = (types.StreamingPullRequest.pb(r) for r in requests)
        yield from Stream(self.state, first, raw, ctx).responses()

    def ModifyPushConfig(
        self, req: types.ModifyPushConfigRequest, ctx: grpc.ServicerContext
    ) -> object:
        pb = types.ModifyPushConfigRequest.pb(req)
        self.state.modify_push_config(pb.subscription, pb.push_config)
        return _EMPTY

    def Seek(self, req: types.SeekRequest, ctx: grpc.ServicerContext) -> object:
        pb = types.SeekRequest.pb(req)
        if pb.WhichOneof("target") != "time":
            raise ApiError(
                grpc.StatusCode.UNIMPLEMENTED,
                "Seek to a snapshot is not supported by this emulator",
            )
        self.state.seek_to_time(pb.subscription, pb.time.ToNanoseconds() / 1e9)
        return types.SeekResponse.pb()()


class _Wire(Protocol):
    """A proto-plus message type (built at run time, so its instances are Any to mypy)."""

    @classmethod
    def serialize(cls, instance: Any) -> bytes: ...
    @classmethod
    def deserialize(cls, payload: bytes) -> Any: ...


# (service, method, request type, response type, streaming)
_METHODS: tuple[tuple[str, str, type[_Wire], type[_Wire] | None, bool], ...] = (
    ("Publisher", "CreateTopic", types.Topic, types.Topic, False),
    ("Publisher", "UpdateTopic", types.UpdateTopicRequest, types.Topic, False),
    ("Publisher", "Publish", types.PublishRequest, types.PublishResponse, False),
    ("Publisher", "GetTopic", types.GetTopicRequest, types.Topic, False),
    ("Publisher", "ListTopics", types.ListTopicsRequest, types.ListTopicsResponse, False),
    (
        "Publisher",
        "ListTopicSubscriptions",
        types.ListTopicSubscriptionsRequest,
        types.ListTopicSubscriptionsResponse,
        False,
    ),
    ("Publisher", "DeleteTopic", types.DeleteTopicRequest, None, False),
    (
        "Publisher",
        "DetachSubscription",
        types.DetachSubscriptionRequest,
        types.DetachSubscriptionResponse,
        False,
    ),
    ("Subscriber", "CreateSubscription", types.Subscription, types.Subscription, False),
    ("Subscriber", "GetSubscription", types.GetSubscriptionRequest, types.Subscription, False),
    (
        "Subscriber",
        "UpdateSubscription",
        types.UpdateSubscriptionRequest,
        types.Subscription,
        False,
    ),
    (
        "Subscriber",
        "ListSubscriptions",
        types.ListSubscriptionsRequest,
        types.ListSubscriptionsResponse,
        False,
    ),
    ("Subscriber", "DeleteSubscription", types.DeleteSubscriptionRequest, None, False),
    ("Subscriber", "ModifyAckDeadline", types.ModifyAckDeadlineRequest, None, False),
    ("Subscriber", "Acknowledge", types.AcknowledgeRequest, None, False),
    ("Subscriber", "Pull", types.PullRequest, types.PullResponse, False),
    (
        "Subscriber",
        "StreamingPull",
        types.StreamingPullRequest,
        types.StreamingPullResponse,
        True,
    ),
    ("Subscriber", "ModifyPushConfig", types.ModifyPushConfigRequest, None, False),
    ("Subscriber", "Seek", types.SeekRequest, types.SeekResponse, False),
)


def _serializer(resp_type: type[_Wire] | None) -> Callable[[Any], bytes]:
    if resp_type is None:
        return empty_pb2.Empty.SerializeToString
    return resp_type.serialize


class _Hooks:
    """Error injection shared by the handlers: `Server.inject_error`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.errors: dict[str, _Injected] = {}

    def take(self, method: str) -> _Injected | None:
        with self.lock:
            inj = self.errors.get(method)
            if inj is None:
                return None
            inj.remaining -= 1
            if inj.remaining <= 0:
                del self.errors[method]
            return inj


def _unary(method: str, fn: Callable, hooks: _Hooks) -> Callable:
    @functools.wraps(fn)
    def handler(req: object, ctx: grpc.ServicerContext) -> object:
        inj = hooks.take(method)
        if inj is not None:
            ctx.abort(inj.code, inj.message)
        try:
            return fn(req, ctx)
        except ApiError as exc:
            err = exc
        except Exception:
            log.exception("%s failed", method)
            err = ApiError(grpc.StatusCode.INTERNAL, f"internal error in {method}")
        ctx.abort(err.code, err.message)

    return handler


def _streaming(method: str, fn: Callable, hooks: _Hooks) -> Callable:
    @functools.wraps(fn)
    def handler(requests: Iterator, ctx: grpc.ServicerContext) -> Iterator:
        inj = hooks.take(method)
        if inj is not None:
            ctx.abort(inj.code, inj.message)
        try:
            yield from fn(requests, ctx)
            return
        except ApiError as exc:
            err = exc
        except Exception:
            if not ctx.is_active():
                return
            log.exception("%s failed", method)
            err = ApiError(grpc.StatusCode.INTERNAL, f"internal error in {method}")
        ctx.abort(err.code, err.message)

    return handler


def generic_handlers(servicer: Servicer, hooks: _Hooks) -> list[grpc.GenericRpcHandler]:
    by_service: dict[str, dict[str, grpc.RpcMethodHandler]] = {}
    for service, method, req_type, resp_type, streaming in _METHODS:
        fn = getattr(servicer, method)
        if streaming:
            h = grpc.stream_stream_rpc_method_handler(
                _streaming(method, fn, hooks),
                request_deserializer=req_type.deserialize,
                response_serializer=_serializer(resp_type),
            )
        else:
            h = grpc.unary_unary_rpc_method_handler(
                _unary(method, fn, hooks),
                request_deserializer=req_type.deserialize,
                response_serializer=_serializer(resp_type),
            )
        by_service.setdefault(f"google.pubsub.v1.{service}", {})[method] = h
    return [grpc.method_handlers_generic_handler(s, m) for s, m in by_service.items()]


class Server:
    """An in-process emulator: `Server(port=0).start()`, then `address`, then `stop()`.

    `push_timeout_s` caps the timeout of push requests (by default the subscription's ack
    deadline, as on Pub/Sub, which is at least 10 s) so that tests of timeouts are fast.

    Test hooks (never reachable over RPC): `advance_clock(seconds)` moves the emulator's clock
    forward (retention, publish times, deadlines); `inject_error(method, code)` makes the next
    calls of an RPC fail; `publish(...)` publishes without a client; `clear_messages()`.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        push_workers: int = 8,
        push_max_outstanding: int = 4,
        push_min_backoff_s: float = 0.1,
        push_max_backoff_s: float = 60.0,
        push_timeout_s: float | None = None,
        max_workers: int = 64,
    ) -> None:
        self.host = host
        self.clock = Clock()
        self.state = PubSubState(
            self.clock,
            push_min_backoff_s=push_min_backoff_s,
            push_max_backoff_s=push_max_backoff_s,
            push_max_outstanding=push_max_outstanding,
            push_timeout_s=push_timeout_s,
        )
        self._hooks = _Hooks()
        self._server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="pubsub"),
            options=[
                ("grpc.max_receive_message_length", 32 * 1024 * 1024),
                ("grpc.max_send_message_length", -1),
                ("grpc.so_reuseport", 0),
            ],
        )
        self._server.add_generic_rpc_handlers(generic_handlers(Servicer(self.state), self._hooks))
        self.port = self._server.add_insecure_port(f"{host}:{port}")
        if not self.port:
            raise OSError(f"cannot listen on {host}:{port}")
        self._push = PushDeliverer(self.state, workers=push_workers)
        self._stop = threading.Event()
        self._sweeper = threading.Thread(target=self._sweep_loop, name="pubsub-sweep", daemon=True)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> Server:
        self._server.start()
        self._sweeper.start()
        self._push.start()
        return self

    def _sweep_loop(self) -> None:
        while not self._stop.wait(0.05):
            try:
                self.state.sweep()
            except Exception:
                log.exception("housekeeping failed; continuing")

    def stop(self, grace: float | None = 1.0) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        self.state.stop()
        self._push.stop()
        self._server.stop(grace).wait()
        if self._sweeper.is_alive():
            self._sweeper.join(1.0)

    def wait(self) -> None:
        self._server.wait_for_termination()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- test hooks
    def advance_clock(self, seconds: float) -> None:
        """Move the emulator's clock forward, then expire deadlines and retention at once."""
        with self.state.lock:
            self.clock.advance(seconds)
            self.state._last_retention_sweep = 0.0
        self.state.sweep()

    def inject_error(
        self,
        method: str,
        code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE,
        message: str = "injected error",
        times: int = 1,
    ) -> None:
        """Fail the next `times` calls of an RPC (e.g. "Publish") with `code`."""
        known = {m for _, m, *_ in _METHODS}
        if method not in known:
            raise ValueError(f"unknown method {method!r}")
        with self._hooks.lock:
            self._hooks.errors[method] = _Injected(code, message, times)

    def publish(
        self,
        topic: str,
        data: bytes,
        attributes: dict[str, str] | None = None,
        ordering_key: str = "",
    ) -> str:
        """Publish as the Publish RPC would (the topic must exist); returns the message id."""
        msg = types.PubsubMessage.pb()(
            data=data, attributes=attributes or {}, ordering_key=ordering_key
        )
        return self.state.publish(topic, [msg])[0]

    def clear_messages(self) -> None:
        self.state.clear_messages()
