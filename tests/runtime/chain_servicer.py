"""A tiny gRPC service run through the services' interceptor chain, on a free port.

Its methods take and return a ``StringValue`` and each does one thing the chain must handle:
answer, refuse with an exception of its own table, crash, abort by itself, stream.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final

import grpc
from google.protobuf.wrappers_pb2 import StringValue

from orders.v1 import errors_pb2
from orders_runtime.call_chain import Interceptor
from orders_runtime.correlation import current_correlation_id
from orders_runtime.deadlines import time_remaining
from orders_runtime.error_status import ErrorReply
from orders_runtime.grpc_server import build_grpc_server
from orders_runtime.interceptors import service_interceptors

SERVICE: Final = "test.v1.Chain"
Context = grpc.aio.ServicerContext[Any, Any]


class RefusedError(Exception):
    """The test service's own failure, which its table knows."""


@dataclass(frozen=True)
class _Violation:
    field: str
    description: str


def table(error: Exception) -> ErrorReply | None:
    if isinstance(error, RefusedError):
        return ErrorReply(
            grpc.StatusCode.FAILED_PRECONDITION,
            errors_pb2.ILLEGAL_TRANSITION,
            f"refused: {error}",
            {"why": str(error)},
            [_Violation("value", "is refused")],
        )
    return None


async def _correlation_id(request: StringValue, context: Context) -> StringValue:
    return StringValue(value=current_correlation_id())


async def _time_remaining(request: StringValue, context: Context) -> StringValue:
    return StringValue(value=repr(time_remaining()))


async def _refuse(request: StringValue, context: Context) -> StringValue:
    raise RefusedError(request.value)


async def _crash(request: StringValue, context: Context) -> StringValue:
    return StringValue(value=str(1 / len(request.value)))


async def _abort(request: StringValue, context: Context) -> StringValue:
    await context.abort(grpc.StatusCode.NOT_FOUND, "aborted by the servicer")
    raise AssertionError("abort returned")


_PAST_THE_DEADLINE = 1.0


async def _abort_late(request: StringValue, context: Context) -> StringValue:
    # Busy past the caller's deadline (no await that grpc could cancel), then refuses.
    while (context.time_remaining() or 0) > 0:
        time.sleep(0.01)  # noqa: ASYNC251 - blocking on purpose: an await could be cancelled
    # grpc's core ends both sides of the call on its own timer threads, and on a loaded machine
    # that can lag the deadline: refusing right at it raced the core, and the caller then got the
    # refusal instead of DEADLINE_EXCEEDED. Blocking on a while longer lets the core end the call.
    time.sleep(_PAST_THE_DEADLINE)  # noqa: ASYNC251 - as above
    await context.abort(grpc.StatusCode.NOT_FOUND, "aborted after the deadline")
    raise AssertionError("abort returned")


async def _count(request: StringValue, context: Context) -> AsyncIterator[StringValue]:
    for number in range(3):
        if request.value == f"refuse at {number}":
            raise RefusedError(request.value)
        yield StringValue(value=str(number))


def _unary(behaviour: Any) -> grpc.RpcMethodHandler[Any, Any]:
    return grpc.unary_unary_rpc_method_handler(
        behaviour,
        request_deserializer=StringValue.FromString,
        response_serializer=StringValue.SerializeToString,
    )


_HANDLERS: Final = {
    "CorrelationId": _unary(_correlation_id),
    "TimeRemaining": _unary(_time_remaining),
    "Refuse": _unary(_refuse),
    "Crash": _unary(_crash),
    "Abort": _unary(_abort),
    "AbortLate": _unary(_abort_late),
    "Count": grpc.unary_stream_rpc_method_handler(
        _count,
        request_deserializer=StringValue.FromString,
        response_serializer=StringValue.SerializeToString,
    ),
}


@dataclass
class ChainClient:
    channel: grpc.aio.Channel

    def unary(self, name: str) -> grpc.aio.UnaryUnaryMultiCallable[StringValue, StringValue]:
        return self.channel.unary_unary(
            f"/{SERVICE}/{name}",
            request_serializer=StringValue.SerializeToString,
            response_deserializer=StringValue.FromString,
        )

    def stream(self, name: str) -> grpc.aio.UnaryStreamMultiCallable[StringValue, StringValue]:
        return self.channel.unary_stream(
            f"/{SERVICE}/{name}",
            request_serializer=StringValue.SerializeToString,
            response_deserializer=StringValue.FromString,
        )

    def raw(self, name: str) -> grpc.aio.UnaryUnaryMultiCallable[bytes, bytes]:
        method: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = self.channel.unary_unary(
            f"/{SERVICE}/{name}"
        )
        return method


@asynccontextmanager
async def chain_service(
    observers: Sequence[Interceptor] = (), guards: Sequence[Interceptor] = ()
) -> AsyncIterator[ChainClient]:
    server, port = build_grpc_server(
        "127.0.0.1:0",
        interceptors=service_interceptors(table, observers=observers, guards=guards),
    )
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, _HANDLERS),))
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield ChainClient(channel)
    finally:
        # A grace, not None: a refused call's handler is still writing its log line when the
        # client already has the status, and stopping without one would cancel it.
        await server.stop(grace=10)
