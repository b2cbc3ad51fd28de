"""The PersistentSubscriptions gRPC service: decodes requests, calls the registry, and
answers refusals with the statuses (and trailing metadata) of the real server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, NoReturn
from urllib.parse import quote

import grpc
import structlog
from kurrentdbclient.protos.v1 import persistent_pb2, persistent_pb2_grpc, shared_pb2

from eventstore_lite.persistent.consumers import Consumer, Dropped
from eventstore_lite.persistent.errors import (
    GroupAlreadyExistsError,
    GroupFailedError,
    GroupNotFoundError,
    MaxSubscribersReachedError,
)
from eventstore_lite.persistent.group import SubscriptionGroup
from eventstore_lite.persistent.info import describe
from eventstore_lite.persistent.messages import NackAction
from eventstore_lite.persistent.registry import GroupRegistry
from eventstore_lite.persistent.requests import decode_create, decode_update, key_of
from eventstore_lite.persistent.settings import ALL_STREAM, GroupKey
from eventstore_lite.wire import MalformedRequest, decode_uuid

log = structlog.get_logger("eventstore_lite.persistent")

_pb = persistent_pb2
Context = grpc.aio.ServicerContext


def _header_value(text: str) -> str:
    """Text as gRPC metadata may carry it: printable ASCII as it is, anything else
    percent-encoded (UTF-8). A raw control or non-ASCII character makes grpc drop the whole
    answer and the caller sees INTERNAL instead of the refusal."""
    if all(" " <= char <= "~" for char in text):
        return text
    return quote(text, safe="".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "%"))


async def _refuse(context: Context[Any, Any], error: Exception, key: GroupKey) -> NoReturn:
    """Abort the call with the real server's answer to `error`."""
    names = (("stream-name", _header_value(key.stream)), ("group-name", _header_value(key.group)))
    where = f"Subscription group {key.group} on stream {key.stream}"
    if isinstance(error, MalformedRequest):
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
    if isinstance(error, GroupNotFoundError):
        exception = ("exception", "persistent-subscription-does-not-exist")
        await context.abort(
            grpc.StatusCode.NOT_FOUND, f"{where} does not exist.", (exception, *names)
        )
    if isinstance(error, GroupAlreadyExistsError):
        exception = ("exception", "persistent-subscription-exists")
        await context.abort(grpc.StatusCode.ALREADY_EXISTS, f"{where} exists.", (exception, *names))
    if isinstance(error, MaxSubscribersReachedError):
        exception = ("exception", "maximum-subscribers-reached")
        await context.abort(
            grpc.StatusCode.FAILED_PRECONDITION,
            f"Maximum subscriptions reached for subscription group {key.group}"
            f" on stream {key.stream}.",
            (exception, *names),
        )
    if isinstance(error, GroupFailedError):
        exception = ("exception", "persistent-subscription-failed")
        await context.abort(
            grpc.StatusCode.INTERNAL,
            f"{where} failed: '{error}'",
            (exception, *names, ("reason", _header_value(str(error)))),
        )
    raise error


def _loose_key(options: object) -> GroupKey:
    """Best-effort names for an error message about a request that did not decode."""
    group = str(getattr(options, "group_name", ""))
    for field in ("stream", "stream_identifier"):
        holder = getattr(options, field, None)
        identifier = getattr(holder, "stream_identifier", holder)
        name = getattr(identifier, "stream_name", b"")
        if isinstance(name, bytes) and name:
            return GroupKey(name.decode("utf8", "replace"), group)
    return GroupKey(ALL_STREAM, group)


class PersistentSubscriptions(persistent_pb2_grpc.PersistentSubscriptionsServicer):
    def __init__(self, registry: GroupRegistry) -> None:
        self._registry = registry

    async def Create(  # noqa: N802
        self, request: _pb.CreateReq, context: Context[_pb.CreateReq, _pb.CreateResp]
    ) -> _pb.CreateResp:
        try:
            definition = decode_create(request)
            self._registry.create(definition)
        except (MalformedRequest, GroupFailedError, GroupAlreadyExistsError) as error:
            await _refuse(context, error, _loose_key(request.options))
        return _pb.CreateResp()

    async def Update(  # noqa: N802
        self, request: _pb.UpdateReq, context: Context[_pb.UpdateReq, _pb.UpdateResp]
    ) -> _pb.UpdateResp:
        try:
            key, settings, start_from = decode_update(request)
            await self._registry.update(key, settings, start_from)
        except (MalformedRequest, GroupFailedError, GroupNotFoundError) as error:
            await _refuse(context, error, _loose_key(request.options))
        return _pb.UpdateResp()

    async def Delete(  # noqa: N802
        self, request: _pb.DeleteReq, context: Context[_pb.DeleteReq, _pb.DeleteResp]
    ) -> _pb.DeleteResp:
        try:
            await self._registry.delete(key_of(request.options))
        except (MalformedRequest, GroupNotFoundError) as error:
            await _refuse(context, error, _loose_key(request.options))
        return _pb.DeleteResp()

    async def GetInfo(  # noqa: N802
        self, request: _pb.GetInfoReq, context: Context[_pb.GetInfoReq, _pb.GetInfoResp]
    ) -> _pb.GetInfoResp:
        try:
            group = self._registry.get(key_of(request.options))
        except (MalformedRequest, GroupNotFoundError) as error:
            await _refuse(context, error, _loose_key(request.options))
        return _pb.GetInfoResp(subscription_info=describe(group, self._registry.store))

    async def List(  # noqa: N802
        self, request: _pb.ListReq, context: Context[_pb.ListReq, _pb.ListResp]
    ) -> _pb.ListResp:
        options = request.options
        stream: str | None = None
        if options.WhichOneof("list_option") == "list_for_stream":
            choice = options.list_for_stream
            if choice.WhichOneof("stream_option") == "all":
                stream = ALL_STREAM
            else:
                stream = choice.stream.stream_name.decode("utf8", "replace")
        groups = self._registry.groups(stream)
        if stream is not None and not groups:
            await _refuse(context, GroupNotFoundError(stream), GroupKey(stream, ""))
        store = self._registry.store
        return _pb.ListResp(subscriptions=[describe(g, store) for g in groups])

    async def ReplayParked(  # noqa: N802
        self,
        request: _pb.ReplayParkedReq,
        context: Context[_pb.ReplayParkedReq, _pb.ReplayParkedResp],
    ) -> _pb.ReplayParkedResp:
        options = request.options
        try:
            group = self._registry.get(key_of(options))
        except (MalformedRequest, GroupNotFoundError) as error:
            await _refuse(context, error, _loose_key(options))
        limit = options.stop_at if options.WhichOneof("stop_at_option") == "stop_at" else None
        group.replay_parked(limit)
        return _pb.ReplayParkedResp()

    async def RestartSubsystem(  # noqa: N802
        self, request: shared_pb2.Empty, context: Context[shared_pb2.Empty, shared_pb2.Empty]
    ) -> shared_pb2.Empty:
        return shared_pb2.Empty()

    async def Read(  # noqa: N802
        self,
        request_iterator: AsyncIterator[_pb.ReadReq],
        context: Context[_pb.ReadReq, _pb.ReadResp],
    ) -> AsyncIterator[_pb.ReadResp]:
        try:
            first = await anext(request_iterator, None)
        except MalformedRequest as error:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        if first is None:
            return
        if first.WhichOneof("content") != "options":
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "Options are expected first")
        options = first.options
        metadata = {k: v for k, v in context.invocation_metadata() or () if isinstance(v, str)}
        try:
            key = key_of(options)
            group, consumer = self._registry.connect(
                key,
                options.buffer_size,
                context.peer(),
                metadata.get("connection-name", "<unknown>"),
                options.uuid_option.WhichOneof("content") == "structured",
            )
        except (MalformedRequest, GroupNotFoundError, MaxSubscribersReachedError) as error:
            await _refuse(context, error, _loose_key(options))
        pump = asyncio.create_task(_pump(request_iterator, group, consumer))
        try:
            yield _pb.ReadResp(
                subscription_confirmation=_pb.ReadResp.SubscriptionConfirmation(
                    subscription_id=key.subscription_id
                )
            )
            outbox = consumer.outbox
            while True:
                item = await outbox.get()
                if isinstance(item, Dropped):
                    await context.abort(grpc.StatusCode[item.code], item.details)
                yield item
        finally:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump
            group.disconnect(consumer)


async def _pump(
    requests: AsyncIterator[_pb.ReadReq], group: SubscriptionGroup, consumer: Consumer
) -> None:
    """Apply a consumer's acks and nacks until its request stream ends.

    A request that does not decode, or an ack or nack naming no event id, ends the consumer's
    call with INVALID_ARGUMENT: going on would deliver to a consumer whose acks are not heard.
    """
    try:
        async for request in requests:
            which = request.WhichOneof("content")
            if which == "ack":
                group.ack([decode_uuid(i) for i in request.ack.ids])
            elif which == "nack":
                nack = request.nack
                action = NackAction(nack.action) if nack.action in (0, 1, 2, 3, 4) else None
                if action is not None:
                    group.nack([decode_uuid(i) for i in nack.ids], action, nack.reason)
    except asyncio.CancelledError:
        raise
    except MalformedRequest as error:
        consumer.outbox.put_nowait(Dropped("INVALID_ARGUMENT", str(error)))
    except Exception as error:  # the consumer went away: stop reading it
        log.info("persistent subscription request stream ended", error=repr(error))
