"""Protobuf requests of the PersistentSubscriptions service, decoded into plain values."""

from __future__ import annotations

from kurrentdbclient.protos.v1 import persistent_pb2, shared_pb2

from eventstore_lite.filters import EventFilter, FilterTarget
from eventstore_lite.persistent.errors import GroupFailedError
from eventstore_lite.persistent.settings import (
    ALL_STREAM,
    END,
    GroupDefinition,
    GroupKey,
    GroupSettings,
)
from eventstore_lite.wire import MalformedRequest, decode_stream_name, in_range

_TICKS_PER_MS = 10_000
_STRATEGY_NAMES = {0: "DispatchToSingle", 1: "RoundRobin", 2: "Pinned"}

_Settings = persistent_pb2.CreateReq.Settings | persistent_pb2.UpdateReq.Settings


_KeyedOptions = (
    persistent_pb2.ReadReq.Options
    | persistent_pb2.DeleteReq.Options
    | persistent_pb2.GetInfoReq.Options
    | persistent_pb2.ReplayParkedReq.Options
)


def key_of(options: _KeyedOptions) -> GroupKey:
    """The group named by Read, Delete, GetInfo or ReplayParked options."""
    which = options.WhichOneof("stream_option")
    if which == "all":
        return GroupKey(ALL_STREAM, options.group_name)
    if which == "stream_identifier":
        return GroupKey(decode_stream_name(options.stream_identifier), options.group_name)
    raise MalformedRequest("Either a stream or $all is required")


def _settings(settings: _Settings, strategy: str) -> GroupSettings:
    if settings.WhichOneof("message_timeout") == "message_timeout_ticks":
        timeout = settings.message_timeout_ticks // _TICKS_PER_MS
    else:
        timeout = settings.message_timeout_ms
    if settings.WhichOneof("checkpoint_after") == "checkpoint_after_ticks":
        checkpoint_after = settings.checkpoint_after_ticks // _TICKS_PER_MS
    else:
        checkpoint_after = settings.checkpoint_after_ms
    return GroupSettings(
        resolve_links=settings.resolve_links,
        extra_statistics=settings.extra_statistics,
        message_timeout_ms=int(timeout),
        max_retry_count=settings.max_retry_count,
        checkpoint_after_ms=int(checkpoint_after),
        min_checkpoint_count=settings.min_checkpoint_count,
        max_checkpoint_count=settings.max_checkpoint_count,
        max_subscriber_count=settings.max_subscriber_count,
        live_buffer_size=settings.live_buffer_size,
        read_batch_size=settings.read_batch_size,
        history_buffer_size=settings.history_buffer_size,
        consumer_strategy=strategy,
    )


def _require_group_name(group: str) -> None:
    # A group without a name could be created but never named again by a consumer or an admin.
    if not group:
        raise MalformedRequest("Group name cannot be empty")


def _stream_key(identifier: shared_pb2.StreamIdentifier, group: str) -> GroupKey:
    name = identifier.stream_name.decode("utf8", "replace")
    if not name:
        raise GroupFailedError("Bad stream name.")
    if name == ALL_STREAM:
        raise GroupFailedError(
            "Persistent subscriptions to $all are only supported over gRPC through gRPC clients"
        )
    return GroupKey(name, group)


def _stream_start(options: _StreamOptions) -> int:
    which = options.WhichOneof("revision_option")
    if which == "revision":
        return in_range(options.revision, "Revision")
    if which == "start":
        return 0
    if which == "end":
        return END
    raise MalformedRequest(f"'{which}' is not a valid RevisionOptionOneofCase")


def _all_start(options: _AllOptions) -> int:
    which = options.WhichOneof("all_option")
    if which == "position":
        commit = in_range(options.position.commit_position, "Commit position")
        prepare = in_range(options.position.prepare_position, "Prepare position")
        if prepare > commit:
            raise GroupFailedError(
                "Invalid Start From position: prepare position must be less than or equal"
                " to the commit position."
            )
        return int(commit)
    if which == "start":
        return 0
    if which == "end":
        return END
    raise MalformedRequest(f"'{which}' is not a valid AllOptionOneofCase")


_StreamOptions = persistent_pb2.CreateReq.StreamOptions | persistent_pb2.UpdateReq.StreamOptions
_AllOptions = persistent_pb2.CreateReq.AllOptions | persistent_pb2.UpdateReq.AllOptions


def _filter(options: persistent_pb2.CreateReq.AllOptions) -> EventFilter | None:
    if options.WhichOneof("filter_option") != "filter":
        return None
    raw = options.filter
    which = raw.WhichOneof("filter")
    if which == "stream_identifier":
        target, expression = FilterTarget.STREAM_NAME, raw.stream_identifier
    elif which == "event_type":
        target, expression = FilterTarget.EVENT_TYPE, raw.event_type
    else:
        raise MalformedRequest(f"'{which}' is not a valid FilterOneofCase")
    if expression.regex:
        return EventFilter(target, regex=expression.regex)
    return EventFilter(target, prefixes=tuple(expression.prefix))


def decode_create(request: persistent_pb2.CreateReq) -> GroupDefinition:
    options = request.options
    _require_group_name(options.group_name)
    settings = options.settings
    strategy = settings.consumer_strategy or _STRATEGY_NAMES.get(
        settings.named_consumer_strategy, str(settings.named_consumer_strategy)
    )
    which = options.WhichOneof("stream_option")
    if which == "all":
        key = GroupKey(ALL_STREAM, options.group_name)
        start, event_filter = _all_start(options.all), _filter(options.all)
    elif which == "stream":
        key = _stream_key(options.stream.stream_identifier, options.group_name)
        start, event_filter = _stream_start(options.stream), None
    elif options.HasField("stream_identifier"):
        # Clients older than the stream/all oneof sent the stream and a revision here.
        key = _stream_key(options.stream_identifier, options.group_name)
        start, event_filter = in_range(settings.revision, "Revision"), None
    else:
        raise MalformedRequest("Either a stream or $all is required")
    return GroupDefinition(key, _settings(settings, strategy), start, 0, event_filter)


def decode_update(request: persistent_pb2.UpdateReq) -> tuple[GroupKey, GroupSettings, int]:
    options = request.options
    _require_group_name(options.group_name)
    settings = options.settings
    strategy = _STRATEGY_NAMES.get(
        settings.named_consumer_strategy, str(settings.named_consumer_strategy)
    )
    which = options.WhichOneof("stream_option")
    if which == "all":
        key = GroupKey(ALL_STREAM, options.group_name)
        start = _all_start(options.all)
    elif which == "stream":
        key = _stream_key(options.stream.stream_identifier, options.group_name)
        start = _stream_start(options.stream)
    elif options.HasField("stream_identifier"):
        key = _stream_key(options.stream_identifier, options.group_name)
        start = in_range(settings.revision, "Revision")
    else:
        raise MalformedRequest("Either a stream or $all is required")
    return key, _settings(settings, strategy), start
