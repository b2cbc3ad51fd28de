"""Managing subscription groups: create, update, delete, info, list and the refusals the
client turns into its exceptions."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from kurrentdbclient import AsyncKurrentDBClient, NewEvent, StreamState
from kurrentdbclient.exceptions import (
    AlreadyExistsError,
    InternalError,
    MaximumSubscriptionsReachedError,
    NotFoundError,
)

from tests.waiting import PATIENCE_SECONDS, read_until, wait_until


async def test_creating_an_existing_group_raises_already_exists(
    client: AsyncKurrentDBClient,
    group: str,
    stream: str,
) -> None:
    await client.create_subscription_to_all(group)
    await client.create_subscription_to_stream(group, stream)
    with pytest.raises(AlreadyExistsError):
        await client.create_subscription_to_all(group)
    with pytest.raises(AlreadyExistsError):
        await client.create_subscription_to_stream(group, stream)


async def test_unknown_groups_raise_not_found_everywhere(
    client: AsyncKurrentDBClient, stream: str
) -> None:
    with pytest.raises(NotFoundError):
        await client.read_subscription_to_all("missing")
    with pytest.raises(NotFoundError):
        await client.read_subscription_to_stream("missing", stream)
    with pytest.raises(NotFoundError):
        await client.get_subscription_info("missing")
    with pytest.raises(NotFoundError):
        await client.update_subscription_to_all("missing")
    with pytest.raises(NotFoundError):
        await client.delete_subscription("missing")
    with pytest.raises(NotFoundError):
        await client.replay_parked_events("missing", stream_name=stream)


async def test_settings_the_real_server_refuses_raise_internal_error(
    client: AsyncKurrentDBClient,
    group: str,
) -> None:
    with pytest.raises(InternalError):
        await client.create_subscription_to_all(group, history_buffer_size=100)
    with pytest.raises(InternalError):
        await client.create_subscription_to_all(group, consumer_strategy="Nope")  # type: ignore[call-overload]
    with pytest.raises(InternalError):
        await client.create_subscription_to_all(group, commit_position=10**9)
    await client.create_subscription_to_all(group)
    with pytest.raises(InternalError):
        await client.update_subscription_to_all(group, history_buffer_size=100)


async def test_info_reports_the_settings_and_start_position(
    client: AsyncKurrentDBClient, group: str, stream: str
) -> None:
    await client.create_subscription_to_all(
        group, from_end=True, message_timeout=7.5, max_retry_count=3, consumer_strategy="Pinned"
    )
    info = await client.get_subscription_info(group)
    assert (info.group_name, info.event_source, info.start_from) == (group, "$all", "C:-1/P:-1")
    assert (info.message_timeout, info.max_retry_count) == (7.5, 3)
    assert info.consumer_strategy == "Pinned"
    assert (info.history_buffer_size, info.read_batch_size) == (500, 200)

    await client.create_subscription_to_stream(group, stream, stream_position=4)
    assert (await client.get_subscription_info(group, stream_name=stream)).start_from == "4"


async def test_an_update_changes_the_settings_and_keeps_what_it_was_not_given(
    client: AsyncKurrentDBClient,
    group: str,
    stream: str,
) -> None:
    await client.create_subscription_to_stream(group, stream, max_subscriber_count=2)
    await client.update_subscription_to_stream(
        group, stream, resolve_links=True, consumer_strategy="RoundRobin"
    )
    info = await client.get_subscription_info(group, stream_name=stream)
    assert (info.resolve_links, info.consumer_strategy) == (True, "RoundRobin")
    assert (info.max_subscriber_count, info.start_from) == (2, "0")


async def test_list_shows_groups_of_all_streams_or_of_one(
    client: AsyncKurrentDBClient, group: str, stream: str
) -> None:
    assert await client.list_subscriptions_to_stream(stream) == []
    await client.create_subscription_to_all(f"{group}-a")
    await client.create_subscription_to_stream(f"{group}-b", stream)
    listed = [(s.group_name, s.event_source) for s in await client.list_subscriptions()]
    assert {(f"{group}-a", "$all"), (f"{group}-b", stream)} <= set(listed)
    for_stream = await client.list_subscriptions_to_stream(stream)
    assert [s.group_name for s in for_stream] == [f"{group}-b"]


async def test_a_deleted_group_is_gone_and_can_be_created_again(
    client: AsyncKurrentDBClient,
    group: str,
) -> None:
    await client.create_subscription_to_all(group)
    await client.delete_subscription(group)
    assert group not in [s.group_name for s in await client.list_subscriptions()]
    with pytest.raises(NotFoundError):
        await client.delete_subscription(group)
    await client.create_subscription_to_all(group)


async def test_consumers_beyond_the_max_subscriber_count_are_refused(
    client: AsyncKurrentDBClient,
    group: str,
    stream: str,
) -> None:
    await client.create_subscription_to_stream(group, stream, max_subscriber_count=1)
    first = await client.read_subscription_to_stream(group, stream)
    with pytest.raises(MaximumSubscriptionsReachedError):
        await client.read_subscription_to_stream(group, stream)
    await first.stop()


async def test_info_counts_connections_and_the_checkpoint(
    client: AsyncKurrentDBClient, group: str, stream: str
) -> None:
    events = [NewEvent(type="T", data=b"{}") for _ in range(3)]
    await client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=events)
    await client.create_subscription_to_stream(
        group, stream, max_checkpoint_count=1, min_checkpoint_count=1
    )
    subscription = await client.read_subscription_to_stream(group, stream, max_ack_delay=0.01)
    seen = 0
    async for event in subscription:
        await subscription.ack(event)
        seen += 1
        if seen == 3:
            break
    info = await read_until(
        lambda: client.get_subscription_info(group, stream_name=stream),
        lambda info: info.last_checkpointed_event_position == "2",
        "the checkpoint at the third event",
    )
    assert info.last_known_event_position == "2"
    assert info.total_items == 3
    assert len(info.connections) == 1
    await subscription.stop()


async def test_deleting_a_group_ends_its_consumers_with_not_found(
    client: AsyncKurrentDBClient, group: str
) -> None:
    await client.create_subscription_to_all(group, from_end=True)
    subscription = await client.read_subscription_to_all(group)

    async def drain() -> None:
        async for _ in subscription:
            pass

    reading = asyncio.create_task(drain())

    async def consuming() -> bool:
        return len((await client.get_subscription_info(group)).connections) == 1

    await wait_until(consuming, "the consumer connected")
    await client.delete_subscription(group)
    with pytest.raises(NotFoundError):
        await asyncio.wait_for(reading, PATIENCE_SECONDS)


async def test_a_group_on_a_stream_named_with_control_and_non_ascii_characters_is_refused_cleanly(
    client: AsyncKurrentDBClient,
) -> None:
    # The refusal names the stream in its metadata; raw, such a name is no legal header value.
    stream = f"odd\nstream-é-{uuid.uuid4().hex}"
    await client.create_subscription_to_stream("group", stream)

    with pytest.raises(AlreadyExistsError):
        await client.create_subscription_to_stream("group", stream)
