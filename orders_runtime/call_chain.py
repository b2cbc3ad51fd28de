"""The mechanism of the interceptor chain: layers around every call of every method of a server.

A layer (``Interceptor``) wraps a whole call, unary or streaming, in an async context manager:
it may look at the call before the servicer runs, replace the exception that leaves it, and see
how the call ended. ``CallChain`` is the one ``grpc.aio.ServerInterceptor`` that applies the
layers, outermost first. It builds the wrapped method handler once per method and keeps it: a
call then costs grpc one interceptor look-up and the layers' own work, nothing per call to build.
So layers decide per call from the call (its metadata, its deadline), never from
``HandlerCallDetails``. Which layers, in which order: ``orders_runtime.interceptors``.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias

import grpc

from orders_runtime.undecodable_requests import tolerant_handler

Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"
Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"
_Inner = Callable[[Any, Context, "Call"], Any]


@dataclass(slots=True)
class Call:
    """One call as the layers see it; layers note what later layers (or the log) need."""

    # "/orders.v1.CommandService/PlaceOrder"
    method: str
    # "PlaceOrder"
    rpc: str
    context: Context
    correlation_id: str = ""
    # The exception the error status answered for, and the ErrorInfo reason it answered with.
    failure: BaseException | None = None
    reason: str = ""


class Interceptor(Protocol):
    def around(self, call: Call) -> AbstractAsyncContextManager[None]: ...


class CallChain(grpc.aio.ServerInterceptor):
    def __init__(self, layers: Sequence[Interceptor]) -> None:
        self._layers = tuple(layers)
        self._handlers: dict[str, Handler] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        method = handler_call_details.method
        handler = self._handlers.get(method)
        if handler is None:
            found = await continuation(handler_call_details)
            # Unknown methods are not kept: callers choose their names.
            if found is None:
                return None
            handler = self._handlers[method] = self._wrapped(found, method)
        return handler

    def _wrapped(self, handler: Handler, method: str) -> Handler:
        tolerant: Any = tolerant_handler(handler, method)
        kind = _KINDS[(tolerant.request_streaming, tolerant.response_streaming)]
        behaviour = getattr(tolerant, kind)
        rpc = method.rpartition("/")[2]
        chained: Callable[..., Any]
        if inspect.isasyncgenfunction(behaviour):
            chained = _streaming(self._layers, behaviour, method, rpc)
        elif inspect.iscoroutinefunction(behaviour):
            chained = _unary(self._layers, behaviour, method, rpc)
        else:
            # A synchronous servicer runs on grpc's thread pool, outside the event loop that
            # the layers (contextvars, async aborts) belong to.
            return handler
        wrapped: Handler = tolerant._replace(**{kind: chained})
        return wrapped


_KINDS = {
    (False, False): "unary_unary",
    (False, True): "unary_stream",
    (True, False): "stream_unary",
    (True, True): "stream_stream",
}


def _unary(
    layers: Sequence[Interceptor], behaviour: Callable[..., Any], method: str, rpc: str
) -> Callable[[Any, Context], Awaitable[Any]]:
    """A coroutine behaviour (one response, or responses sent with ``context.write``)."""

    async def servicer(request: Any, context: Context, call: Call) -> Any:
        return await behaviour(request, context)

    inner: _Inner = servicer
    for layer in reversed(layers):
        inner = _unary_layer(layer, inner)
    outermost = inner

    async def handle(request: Any, context: Context) -> Any:
        return await outermost(request, context, Call(method, rpc, context))

    return handle


def _unary_layer(layer: Interceptor, inner: _Inner) -> _Inner:
    async def through(request: Any, context: Context, call: Call) -> Any:
        async with layer.around(call):
            return await inner(request, context, call)

    return through


def _streaming(
    layers: Sequence[Interceptor], behaviour: Callable[..., Any], method: str, rpc: str
) -> Callable[[Any, Context], AsyncIterator[Any]]:
    """An async generator behaviour: the layers stay entered until its last response."""

    async def servicer(request: Any, context: Context, call: Call) -> AsyncIterator[Any]:
        async for response in behaviour(request, context):
            yield response

    inner: _Inner = servicer
    for layer in reversed(layers):
        inner = _streaming_layer(layer, inner)
    outermost = inner

    async def handle(request: Any, context: Context) -> AsyncIterator[Any]:
        async for response in outermost(request, context, Call(method, rpc, context)):
            yield response

    return handle


def _streaming_layer(layer: Interceptor, inner: _Inner) -> _Inner:
    async def through(request: Any, context: Context, call: Call) -> AsyncIterator[Any]:
        async with layer.around(call):
            async for response in inner(request, context, call):
                yield response

    return through
