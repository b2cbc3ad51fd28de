"""Subscription info, in the fields the client reads, as the real server fills them."""

from __future__ import annotations

from kurrentdbclient.protos.v1 import persistent_pb2

from eventstore_lite.persistent.consumers import Consumer
from eventstore_lite.persistent.group import SubscriptionGroup
from eventstore_lite.persistent.settings import format_position
from eventstore_lite.persistent.store import GroupStore

_Info = persistent_pb2.SubscriptionInfo


def describe(group: SubscriptionGroup, store: GroupStore) -> _Info:
    definition = group.definition
    key, settings = definition.key, definition.settings
    stats = group.stats()
    in_flight = stats.in_flight
    return _Info(
        event_source=key.stream,
        group_name=key.group,
        status="Live" if stats.live or not group.consumers else "Behind",
        connections=[_connection(consumer) for consumer in group.consumers],
        total_items=stats.total_items,
        last_checkpointed_event_position=_position(group, stats.last_checkpoint),
        last_known_event_position=_position(group, stats.last_known),
        resolve_link_tos=settings.resolve_links,
        start_from=format_position(key, definition.start_from),
        message_timeout_milliseconds=settings.message_timeout_ms,
        extra_statistics=settings.extra_statistics,
        max_retry_count=settings.max_retry_count,
        live_buffer_size=settings.live_buffer_size,
        buffer_size=settings.history_buffer_size,
        read_batch_size=settings.read_batch_size,
        check_point_after_milliseconds=settings.checkpoint_after_ms,
        min_check_point_count=settings.min_checkpoint_count,
        max_check_point_count=settings.max_checkpoint_count,
        read_buffer_count=stats.read_buffer_count,
        live_buffer_count=0,
        retry_buffer_count=stats.retry_buffer_count,
        total_in_flight_messages=in_flight,
        outstanding_messages_count=in_flight,
        named_consumer_strategy=settings.consumer_strategy,
        max_subscriber_count=settings.max_subscriber_count,
        parked_message_count=store.parked_count(key),
    )


def _position(group: SubscriptionGroup, position: int | None) -> str:
    return "" if position is None else format_position(group.definition.key, position)


def _connection(consumer: Consumer) -> _Info.ConnectionInfo:
    info = _Info.ConnectionInfo(
        username="",
        total_items=consumer.total_items,
        available_slots=consumer.available_slots,
        in_flight_messages=consumer.in_flight,
        connection_name=consumer.connection_name,
    )
    # `from` is a Python keyword, so the field is set by name.
    setattr(info, "from", consumer.peer)
    return info
