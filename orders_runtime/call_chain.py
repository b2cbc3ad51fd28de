"""The mechanism of the interceptor chain: layers around every call of every method of a server.

A layer (``Interceptor``) wraps the handling of a call: given the handler inside it, it returns
the handler with itself around it, as ASGI middleware does. It may look at the call before the
servicer runs, replace the exception that leaves it, and see how the call ended. Every call goes
through the same coroutine shape: a servicer that streams its responses as an async generator is
run as a coroutine writing each response with ``context.write``, so a layer is written once for
unary and streaming calls alike.

``CallChain`` is the one ``grpc.aio.ServerInterceptor`` that applies the layers, outermost
first. It builds the wrapped method handler once per method and keeps it: a call then costs grpc
one interceptor look-up plus one coroutine frame per layer and the layers' own work. So layers
decide per call from the call (its metadata, its deadline), never from ``HandlerCallDetails``.
Which layers, in which order: ``orders_runtime.interceptors``.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias

import grpc

from orders_runtime.undecodable_requests import tolerant_handler

Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"
Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"
# Handles one call: the request (or request iterator), the context, the call as layers see it.
Handle: TypeAlias = Callable[[Any, Context, "Call"], Awaitable[Any]]


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
    def wrap(self, inner: Handle) -> Handle:
        """``inner`` with this layer around it; called once per method, its result per call."""
        ...


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
        if inspect.isasyncgenfunction(behaviour):
            servicer = _written(behaviour)
        elif inspect.iscoroutinefunction(behaviour):
            servicer = _awaited(behaviour)
        else:
            # A synchronous servicer runs on grpc's thread pool, outside the event loop that
            # the layers (contextvars, async aborts) belong to.
            return handler
        for layer in reversed(self._layers):
            servicer = layer.wrap(servicer)
        outermost, rpc = servicer, method.rpartition("/")[2]

        async def handle(request: Any, context: Context) -> Any:
            return await outermost(request, context, Call(method, rpc, context))

        wrapped: Handler = tolerant._replace(**{kind: handle})
        return wrapped


_KINDS = {
    (False, False): "unary_unary",
    (False, True): "unary_stream",
    (True, False): "stream_unary",
    (True, True): "stream_stream",
}


def _awaited(behaviour: Callable[[Any, Context], Awaitable[Any]]) -> Handle:
    async def servicer(request: Any, context: Context, call: Call) -> Any:
        return await behaviour(request, context)

    return servicer


def _written(behaviour: Callable[[Any, Context], AsyncIterator[Any]]) -> Handle:
    async def servicer(request: Any, context: Context, call: Call) -> None:
        async for response in behaviour(request, context):
            await context.write(response)

    return servicer
