"""The Read RPC: reads of a stream or `$all`, and catch-up subscriptions to either."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable

import grpc
from google.protobuf import timestamp_pb2
from kurrentdbclient.protos.v1 import shared_pb2, streams_pb2

from eventstore_lite.errors import StreamDeleted, StreamNotFound
from eventstore_lite.filters import EventFilter, FilterTarget
from eventstore_lite.links import resolve_link
from eventstore_lite.records import RecordedEvent
from eventstore_lite.storage import EventStorage
from eventstore_lite.wire import MalformedRequest, decode_stream_name, encode_read_event, in_range

_PAGE = 256
_MAX_COUNT = 2**62
Options = streams_pb2.ReadReq.Options


def _now() -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.GetCurrentTime()
    return stamp


def decode_filter(options: Options) -> tuple[EventFilter | None, int]:
    """The filter, and after how many scanned events a checkpoint is due."""
    if options.WhichOneof("filter_option") != "filter":
        return None, 0
    filter_options = options.filter
    which = filter_options.WhichOneof("filter")
    if which == "stream_identifier":
        target, expression = FilterTarget.STREAM_NAME, filter_options.stream_identifier
    elif which == "event_type":
        target, expression = FilterTarget.EVENT_TYPE, filter_options.event_type
    else:
        raise MalformedRequest("Filter has neither stream identifier nor event type")
    window = filter_options.max if filter_options.WhichOneof("window") == "max" else 32
    interval = max(1, window) * max(1, filter_options.checkpointIntervalMultiplier)
    try:
        event_filter = EventFilter(target, tuple(expression.prefix), expression.regex)
    except Exception as error:
        raise MalformedRequest(f"Invalid filter regex: {expression.regex!r}") from error
    return event_filter, interval


def _with_links(
    storage: EventStorage, events: Iterable[RecordedEvent], resolve: bool
) -> Iterable[streams_pb2.ReadResp]:
    for event in events:
        if resolve and event.type == "$>":
            target = resolve_link(storage, event)
            if target is not None:
                yield encode_read_event(target, link=event)
                continue
        yield encode_read_event(event)


def _stream_not_found(stream_name: str) -> streams_pb2.ReadResp:
    identifier = shared_pb2.StreamIdentifier(stream_name=stream_name.encode())
    return streams_pb2.ReadResp(
        stream_not_found=streams_pb2.ReadResp.StreamNotFound(stream_identifier=identifier)
    )


async def read_stream(
    storage: EventStorage, options: Options
) -> AsyncIterator[streams_pb2.ReadResp]:
    stream_name = decode_stream_name(options.stream.stream_identifier)
    backwards = options.read_direction == Options.Backwards
    which = options.stream.WhichOneof("revision_option")
    revision: int | None = None
    if which == "revision":
        revision = in_range(options.stream.revision, "Revision")
    remaining = min(options.count, _MAX_COUNT)
    if which == "end" and not backwards:
        remaining = 0
    first = True
    while remaining > 0 or first:
        try:
            page = storage.read_stream(stream_name, revision, backwards, min(_PAGE, remaining))
        except StreamNotFound:
            yield _stream_not_found(stream_name)
            return
        first = False
        for response in _with_links(storage, page, options.resolve_links):
            yield response
        remaining -= len(page)
        if len(page) < _PAGE:
            return
        last = page[-1].stream_revision
        if backwards and last == 0:
            return
        revision = last - 1 if backwards else last + 1


async def read_all(storage: EventStorage, options: Options) -> AsyncIterator[streams_pb2.ReadResp]:
    backwards = options.read_direction == Options.Backwards
    event_filter, _ = decode_filter(options)
    which = options.all.WhichOneof("all_option")
    position: int | None = None
    if which == "position":
        position = _position(options.all.position)
    elif which == "end" and not backwards:
        return
    remaining = min(options.count, _MAX_COUNT)
    while remaining > 0:
        page = storage.scan_all(position, backwards, _PAGE)
        matched = page if event_filter is None else [e for e in page if event_filter.matches(e)]
        for response in _with_links(storage, matched[:remaining], options.resolve_links):
            yield response
        remaining -= len(matched)
        if len(page) < _PAGE:
            return
        last = page[-1].commit_position
        position = last if backwards else last + 1


def _confirmation() -> streams_pb2.ReadResp:
    return streams_pb2.ReadResp(
        confirmation=streams_pb2.ReadResp.SubscriptionConfirmation(
            subscription_id=str(uuid.uuid4())
        )
    )


async def subscribe_to_stream(
    storage: EventStorage, options: Options
) -> AsyncIterator[streams_pb2.ReadResp]:
    stream_name = decode_stream_name(options.stream.stream_identifier)
    which = options.stream.WhichOneof("revision_option")
    if which == "revision":
        after = in_range(options.stream.revision, "Revision")
    elif which == "end":
        after = storage.stream_revision(stream_name)
    else:
        after = -1
    yield _confirmation()
    caught_up = False
    while True:
        seen = storage.stream_revision(stream_name)
        try:
            page = storage.read_stream(stream_name, after + 1, False, _PAGE)
        except StreamNotFound:
            page = []
        for response in _with_links(storage, page, options.resolve_links):
            yield response
        if page:
            after = page[-1].stream_revision
        if len(page) == _PAGE:
            continue
        if not caught_up:
            caught_up = True
            message = streams_pb2.ReadResp.CaughtUp(timestamp=_now())
            if after >= 0:
                message.stream_revision = after
            yield streams_pb2.ReadResp(caught_up=message)
        await storage.wait_for_stream_change(stream_name, seen)


async def subscribe_to_all(
    storage: EventStorage, options: Options
) -> AsyncIterator[streams_pb2.ReadResp]:
    event_filter, interval = decode_filter(options)
    which = options.all.WhichOneof("all_option")
    if which == "position":
        after = _position(options.all.position)
    elif which == "end":
        after = storage.head_position()
    else:
        after = 0
    yield _confirmation()
    caught_up = False
    scanned = 0
    while True:
        head = storage.head_position()
        page = storage.scan_all(after + 1, False, _PAGE)
        for event in page:
            if event_filter is None or event_filter.matches(event):
                for response in _with_links(storage, (event,), options.resolve_links):
                    yield response
            after = event.commit_position
            scanned += 1
            if event_filter is not None and scanned >= interval:
                scanned = 0
                yield _checkpoint(after)
        if len(page) == _PAGE:
            continue
        if not caught_up:
            caught_up = True
            message = streams_pb2.ReadResp.CaughtUp(timestamp=_now())
            if after > 0:
                message.position.commit_position = after
                message.position.prepare_position = after
            yield streams_pb2.ReadResp(caught_up=message)
        await storage.wait_for_append(head)


def _position(position: Options.Position) -> int:
    in_range(position.prepare_position, "Prepare position")
    return in_range(position.commit_position, "Commit position")


def _checkpoint(position: int) -> streams_pb2.ReadResp:
    return streams_pb2.ReadResp(
        checkpoint=streams_pb2.ReadResp.Checkpoint(
            commit_position=position, prepare_position=position, timestamp=_now()
        )
    )


async def read(
    request: streams_pb2.ReadReq,
    storage: EventStorage,
    context: grpc.aio.ServicerContext[streams_pb2.ReadReq, streams_pb2.ReadResp],
) -> AsyncIterator[streams_pb2.ReadResp]:
    options = request.options
    subscribe = options.WhichOneof("count_option") == "subscription"
    which = options.WhichOneof("stream_option")
    try:
        if options.read_direction not in (Options.Forwards, Options.Backwards):
            raise MalformedRequest(f"Unknown read direction {options.read_direction}")
        if which == "stream":
            responses = (subscribe_to_stream if subscribe else read_stream)(storage, options)
        elif which == "all":
            responses = (subscribe_to_all if subscribe else read_all)(storage, options)
        else:
            raise MalformedRequest("Read request names neither a stream nor $all")
        async for response in responses:
            yield response
    except StreamDeleted as error:
        await context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(error))
    except MalformedRequest as error:
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
