"""Requests whose bytes do not decode are refused as bad requests, not as UNKNOWN.

grpc.aio decodes a request before any servicer code runs and answers UNKNOWN when the
deserializer raises; nothing in the call can set another status from there. So this server
interceptor gives every method handler (of every service on the server, health and reflection
included) a deserializer that cannot raise: it hands on an ``UndecodableRequestError`` instead,
and the wrapped behaviour refuses that with the service's own status before the servicer sees
it.
In a request stream the same refusal applies, unless the server passes ``stream_error``: then
the servicer's request iterator raises that error, for servers whose servicers already answer a
malformed request in a stream (the embedded event store drops a batch in progress whole).
The wrappers keep the kind of the behaviour they wrap (coroutine or async generator): grpc.aio
runs anything else on a thread pool as a synchronous handler.

The services' interceptor chain (``orders_runtime.call_chain``) applies ``tolerant_handler``
without a ``refuse``: the refusal is then the ``UndecodableRequestError`` itself, raised for the
chain's error status to answer like any other failure.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, NoReturn, TypeAlias

import grpc

Context = grpc.aio.ServicerContext[Any, Any]
Refuse = Callable[[Context, "UndecodableRequestError"], Awaitable[NoReturn]]
StreamError = Callable[["UndecodableRequestError"], Exception]
Behaviour = Callable[[Any, Context], Any]
Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"


class UndecodableRequestError(ValueError):
    """What arrived instead of a request message: the method, and why its bytes did not decode."""

    def __init__(self, method: str, error: Exception) -> None:
        super().__init__(f"the request to {method} does not decode: {error}")
        self.method = method


class UndecodableRequests(grpc.aio.ServerInterceptor):
    def __init__(self, refuse: Refuse, stream_error: StreamError | None = None) -> None:
        self._refuse = refuse
        self._stream_error = stream_error

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        return tolerant_handler(
            handler, handler_call_details.method, self._refuse, self._stream_error
        )


def tolerant_handler(
    handler: Handler,
    method: str,
    refuse: Refuse | None = None,
    stream_error: StreamError | None = None,
) -> Handler:
    """``handler`` with a deserializer that cannot raise; an undecodable request is refused by
    ``refuse``, or raised as ``UndecodableRequestError`` when there is none."""
    found: Any = handler
    if found.request_deserializer is None:
        return handler
    kind = _KINDS[(found.request_streaming, found.response_streaming)]
    behaviour = getattr(found, kind)
    if not (inspect.iscoroutinefunction(behaviour) or inspect.isasyncgenfunction(behaviour)):
        return handler
    decode = found.request_deserializer

    def deserialize(raw: bytes) -> object:
        try:
            return decode(raw)
        except Exception as error:  # whatever the deserializer says, it is the caller's bytes
            return UndecodableRequestError(method, error)

    wrapped = (
        _streamed(behaviour, refuse or _raise, stream_error)
        if found.request_streaming
        else _single(behaviour, refuse or _raise)
    )
    replaced: Handler = found._replace(request_deserializer=deserialize, **{kind: wrapped})
    return replaced


async def _raise(context: Context, error: UndecodableRequestError) -> NoReturn:
    raise error


_KINDS = {
    (False, False): "unary_unary",
    (False, True): "unary_stream",
    (True, False): "stream_unary",
    (True, True): "stream_stream",
}


def _single(behaviour: Behaviour, refuse: Refuse) -> Behaviour:
    if inspect.isasyncgenfunction(behaviour):

        async def responses(request: object, context: Context) -> AsyncIterator[Any]:
            if isinstance(request, UndecodableRequestError):
                await refuse(context, request)
            async for response in behaviour(request, context):
                yield response

        return responses

    async def response(request: object, context: Context) -> Any:
        if isinstance(request, UndecodableRequestError):
            await refuse(context, request)
        return await behaviour(request, context)

    return response


def _streamed(behaviour: Behaviour, refuse: Refuse, stream_error: StreamError | None) -> Behaviour:
    async def checked(requests: AsyncIterator[object], context: Context) -> AsyncIterator[object]:
        async for request in requests:
            if isinstance(request, UndecodableRequestError):
                if stream_error is not None:
                    raise stream_error(request)
                await refuse(context, request)
            yield request

    if inspect.isasyncgenfunction(behaviour):

        async def responses(
            requests: AsyncIterator[object], context: Context
        ) -> AsyncIterator[Any]:
            async for response in behaviour(checked(requests, context), context):
                yield response

        return responses

    async def response(requests: AsyncIterator[object], context: Context) -> Any:
        return await behaviour(checked(requests, context), context)

    return response
