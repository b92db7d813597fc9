"""gRPC wiring of the servicer: request types per method, errors to statuses."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import grpc
from google.cloud.firestore_v1.types import firestore as _fs
from google.protobuf.message import Message

from .errors import RpcError
from .servicer import Servicer

log = logging.getLogger("emulators.firestore")

SERVICE = "google.firestore.v1.Firestore"


class _Request(Protocol):
    """A proto-plus request type: `pb()` is its raw protobuf class."""

    @classmethod
    def pb(cls) -> type[Message]: ...


_UNARY: dict[str, type[_Request]] = {
    "GetDocument": _fs.GetDocumentRequest,
    "ListDocuments": _fs.ListDocumentsRequest,
    "CreateDocument": _fs.CreateDocumentRequest,
    "UpdateDocument": _fs.UpdateDocumentRequest,
    "DeleteDocument": _fs.DeleteDocumentRequest,
    "BeginTransaction": _fs.BeginTransactionRequest,
    "Commit": _fs.CommitRequest,
    "Rollback": _fs.RollbackRequest,
    "PartitionQuery": _fs.PartitionQueryRequest,
    "ListCollectionIds": _fs.ListCollectionIdsRequest,
    "BatchWrite": _fs.BatchWriteRequest,
}
_STREAM: dict[str, type[_Request]] = {
    "BatchGetDocuments": _fs.BatchGetDocumentsRequest,
    "RunQuery": _fs.RunQueryRequest,
    "RunAggregationQuery": _fs.RunAggregationQueryRequest,
}
_UNIMPLEMENTED_STREAM: dict[str, type[_Request]] = {"ExecutePipeline": _fs.ExecutePipelineRequest}
_BIDI = {"Listen": _fs.ListenRequest}
_UNIMPLEMENTED_BIDI = {"Write": _fs.WriteRequest}


def _abort(ctx: Any, exc: BaseException, method: str) -> None:
    if isinstance(exc, RpcError):
        ctx.abort(exc.code, exc.message)
    log.exception("internal error in %s", method)
    ctx.abort(grpc.StatusCode.INTERNAL, f"Internal emulator error in {method}: {exc!r}")


def _wrap_unary(method: str, fn: Callable) -> Callable:
    def handler(req: Any, ctx: Any) -> Any:
        try:
            return fn(req, ctx)
        except Exception as exc:
            _abort(ctx, exc, method)

    return handler


def _wrap_stream(method: str, fn: Callable) -> Callable:
    def handler(req: Any, ctx: Any) -> Iterable[Any]:
        try:
            yield from fn(req, ctx)
        except Exception as exc:
            _abort(ctx, exc, method)

    return handler


def _serialize(msg: Any) -> bytes:
    return msg.SerializeToString()


def generic_handler(servicer: Servicer) -> grpc.GenericRpcHandler:
    handlers = {}
    for name, req in _UNARY.items():
        handlers[name] = grpc.unary_unary_rpc_method_handler(
            _wrap_unary(name, getattr(servicer, name)),
            request_deserializer=req.pb().FromString,
            response_serializer=_serialize,
        )
    for name, req in _STREAM.items():
        handlers[name] = grpc.unary_stream_rpc_method_handler(
            _wrap_stream(name, getattr(servicer, name)),
            request_deserializer=req.pb().FromString,
            response_serializer=_serialize,
        )
    for name, req in _UNIMPLEMENTED_STREAM.items():
        handlers[name] = grpc.unary_stream_rpc_method_handler(
            _wrap_stream(name, servicer.unimplemented(name)),
            request_deserializer=req.pb().FromString,
            response_serializer=_serialize,
        )
    for name, req in _BIDI.items():
        handlers[name] = grpc.stream_stream_rpc_method_handler(
            _wrap_stream(name, getattr(servicer, name)),
            request_deserializer=req.pb().FromString,
            response_serializer=_serialize,
        )
    for name, req in _UNIMPLEMENTED_BIDI.items():
        impl = servicer.unimplemented(name)

        def bidi(it: Any, ctx: Any, _impl: Callable = impl, _name: str = name) -> Iterable[Any]:
            try:
                _impl(None, ctx)
            except Exception as exc:
                _abort(ctx, exc, _name)
            yield from ()

        handlers[name] = grpc.stream_stream_rpc_method_handler(
            bidi, request_deserializer=req.pb().FromString, response_serializer=_serialize
        )
    return grpc.method_handlers_generic_handler(SERVICE, handlers)
