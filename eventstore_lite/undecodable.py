"""Request bytes that do not decode are INVALID_ARGUMENT, like any other malformed request.

grpc.aio decodes a request before any servicer code runs and answers UNKNOWN when the
deserializer raises, which the official client reports as an unexpected server failure. This
interceptor gives every method a deserializer that cannot raise: a single request that does not
decode is refused with INVALID_ARGUMENT before the servicer sees it, and in a request stream the
servicer's iterator raises MalformedRequest, which every servicer already answers (a batch or
append in progress is then dropped whole: nothing of it is written). The wrappers keep the kind
of the behaviour they wrap (coroutine or async generator): grpc.aio runs anything else on a
thread pool as a synchronous handler.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeAlias

import grpc

from eventstore_lite.wire import MalformedRequest

Context = grpc.aio.ServicerContext[Any, Any]
Behaviour = Callable[[Any, Context], Any]
Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"

_KINDS = {
    (False, False): "unary_unary",
    (False, True): "unary_stream",
    (True, False): "stream_unary",
    (True, True): "stream_stream",
}


class _Undecodable:
    def __init__(self, method: str, error: Exception) -> None:
        self.problem = f"The request to {method} does not decode: {error}"


class UndecodableRequests(grpc.aio.ServerInterceptor):
    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler: Any = await continuation(handler_call_details)
        if handler is None or handler.request_deserializer is None:
            return handler  # type: ignore[no-any-return]
        kind = _KINDS[(handler.request_streaming, handler.response_streaming)]
        behaviour = getattr(handler, kind)
        if not (inspect.iscoroutinefunction(behaviour) or inspect.isasyncgenfunction(behaviour)):
            return handler  # type: ignore[no-any-return]
        method, decode = handler_call_details.method, handler.request_deserializer

        def deserialize(raw: bytes) -> object:
            try:
                return decode(raw)
            except Exception as error:  # whatever the deserializer says, it is the caller's bytes
                return _Undecodable(method, error)

        wrap = _streamed if handler.request_streaming else _single
        replaced: Handler = handler._replace(
            request_deserializer=deserialize, **{kind: wrap(behaviour)}
        )
        return replaced


def _single(behaviour: Behaviour) -> Behaviour:
    if inspect.isasyncgenfunction(behaviour):

        async def responses(request: object, context: Context) -> AsyncIterator[Any]:
            if isinstance(request, _Undecodable):
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, request.problem)
            async for response in behaviour(request, context):
                yield response

        return responses

    async def response(request: object, context: Context) -> Any:
        if isinstance(request, _Undecodable):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, request.problem)
        return await behaviour(request, context)

    return response


def _streamed(behaviour: Behaviour) -> Behaviour:
    if inspect.isasyncgenfunction(behaviour):

        async def responses(
            requests: AsyncIterator[object], context: Context
        ) -> AsyncIterator[Any]:
            async for response in behaviour(_checked(requests), context):
                yield response

        return responses

    async def response(requests: AsyncIterator[object], context: Context) -> Any:
        return await behaviour(_checked(requests), context)

    return response


async def _checked(requests: AsyncIterator[object]) -> AsyncIterator[object]:
    async for request in requests:
        if isinstance(request, _Undecodable):
            raise MalformedRequest(request.problem)
        yield request
