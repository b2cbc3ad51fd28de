"""Decoding the client's protobuf requests into group definitions, without a server."""

from __future__ import annotations

import pytest
from kurrentdbclient.protos.v1 import persistent_pb2, shared_pb2

from eventstore_lite.filters import FilterTarget
from eventstore_lite.persistent.errors import GroupFailedError
from eventstore_lite.persistent.requests import decode_create, decode_update
from eventstore_lite.persistent.settings import END, GroupKey
from eventstore_lite.wire import MalformedRequest

Create = persistent_pb2.CreateReq
Expression = Create.AllOptions.FilterOptions.Expression


def _create_all(filter_options: Create.AllOptions.FilterOptions) -> Create:
    return Create(
        options=Create.Options(
            group_name="g",
            all=Create.AllOptions(end=shared_pb2.Empty(), filter=filter_options),
            settings=Create.Settings(
                message_timeout_ticks=15 * 10_000_000,
                checkpoint_after_ticks=2 * 10_000_000,
                history_buffer_size=500,
                read_batch_size=20,
            ),
        )
    )


def test_a_prefix_filter_on_stream_names_and_tick_durations_are_decoded() -> None:
    request = _create_all(
        Create.AllOptions.FilterOptions(stream_identifier=Expression(prefix=["order-", "cust-"]))
    )
    definition = decode_create(request)
    assert definition.key == GroupKey("$all", "g")
    assert definition.start_from == END
    assert definition.event_filter is not None
    assert definition.event_filter.target is FilterTarget.STREAM_NAME
    assert definition.event_filter.prefixes == ("order-", "cust-")
    assert definition.settings.message_timeout_ms == 15_000
    assert definition.settings.checkpoint_after_ms == 2_000
    # An empty strategy string falls back to the deprecated enum, whose default is this.
    assert definition.settings.consumer_strategy == "DispatchToSingle"


def test_a_regex_filter_on_event_types_is_decoded() -> None:
    request = _create_all(Create.AllOptions.FilterOptions(event_type=Expression(regex="^Order")))
    event_filter = decode_create(request).event_filter
    assert event_filter is not None
    assert (event_filter.target, event_filter.regex) == (FilterTarget.EVENT_TYPE, "^Order")


def test_a_persistent_subscription_to_a_stream_named_all_is_refused_like_the_real_server() -> None:
    request = Create(
        options=Create.Options(
            group_name="g",
            stream=Create.StreamOptions(
                stream_identifier=shared_pb2.StreamIdentifier(stream_name=b"$all"),
                start=shared_pb2.Empty(),
            ),
        )
    )
    with pytest.raises(GroupFailedError):
        decode_create(request)


def test_an_update_names_its_strategy_with_the_enum() -> None:
    update = persistent_pb2.UpdateReq
    request = update(
        options=update.Options(
            group_name="g",
            stream=update.StreamOptions(
                stream_identifier=shared_pb2.StreamIdentifier(stream_name=b"orders"),
                revision=7,
            ),
            settings=update.Settings(named_consumer_strategy=update.ConsumerStrategy.Pinned),
        )
    )
    key, settings, start = decode_update(request)
    assert (key, settings.consumer_strategy, start) == (GroupKey("orders", "g"), "Pinned", 7)


def test_a_group_without_a_name_is_refused_on_create_and_on_update() -> None:
    nameless = _create_all(Create.AllOptions.FilterOptions())
    nameless.options.group_name = ""
    with pytest.raises(MalformedRequest, match="Group name cannot be empty"):
        decode_create(nameless)
    update = persistent_pb2.UpdateReq(
        options=persistent_pb2.UpdateReq.Options(
            group_name="", all=persistent_pb2.UpdateReq.AllOptions(end=shared_pb2.Empty())
        )
    )
    with pytest.raises(MalformedRequest, match="Group name cannot be empty"):
        decode_update(update)
