"""Managing subscription groups: create, update, delete, info, list and the refusals the
client turns into its exceptions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from kurrentdbclient import AsyncKurrentDBClient, NewEvent, StreamState
from kurrentdbclient.exceptions import (
    AlreadyExistsError,
    InternalError,
    MaximumSubscriptionsReachedError,
    NotFoundError,
)


@pytest.fixture
async def client(fresh_eventstore_uri: str) -> AsyncIterator[AsyncKurrentDBClient]:
    client = AsyncKurrentDBClient(fresh_eventstore_uri)
    await client.connect()
    yield client
    await client.close()


async def test_creating_an_existing_group_raises_already_exists(
    client: AsyncKurrentDBClient,
) -> None:
    await client.create_subscription_to_all("g")
    await client.create_subscription_to_stream("g", "orders")
    with pytest.raises(AlreadyExistsError):
        await client.create_subscription_to_all("g")
    with pytest.raises(AlreadyExistsError):
        await client.create_subscription_to_stream("g", "orders")


async def test_unknown_groups_raise_not_found_everywhere(client: AsyncKurrentDBClient) -> None:
    with pytest.raises(NotFoundError):
        await client.read_subscription_to_all("missing")
    with pytest.raises(NotFoundError):
        await client.read_subscription_to_stream("missing", "orders")
    with pytest.raises(NotFoundError):
        await client.get_subscription_info("missing")
    with pytest.raises(NotFoundError):
        await client.update_subscription_to_all("missing")
    with pytest.raises(NotFoundError):
        await client.delete_subscription("missing")
    with pytest.raises(NotFoundError):
        await client.replay_parked_events("missing", stream_name="orders")


async def test_settings_the_real_server_refuses_raise_internal_error(
    client: AsyncKurrentDBClient,
) -> None:
    with pytest.raises(InternalError):
        await client.create_subscription_to_all("g", history_buffer_size=100)
    with pytest.raises(InternalError):
        await client.create_subscription_to_all("g", consumer_strategy="Nope")  # type: ignore[call-overload]
    with pytest.raises(InternalError):
        await client.create_subscription_to_all("g", commit_position=10**9)
    await client.create_subscription_to_all("g")
    with pytest.raises(InternalError):
        await client.update_subscription_to_all("g", history_buffer_size=100)


async def test_info_reports_the_settings_and_start_position(client: AsyncKurrentDBClient) -> None:
    await client.create_subscription_to_all(
        "g", from_end=True, message_timeout=7.5, max_retry_count=3, consumer_strategy="Pinned"
    )
    info = await client.get_subscription_info("g")
    assert (info.group_name, info.event_source, info.start_from) == ("g", "$all", "C:-1/P:-1")
    assert (info.message_timeout, info.max_retry_count) == (7.5, 3)
    assert info.consumer_strategy == "Pinned"
    assert (info.history_buffer_size, info.read_batch_size) == (500, 200)

    await client.create_subscription_to_stream("s", "orders", stream_position=4)
    assert (await client.get_subscription_info("s", stream_name="orders")).start_from == "4"


async def test_an_update_changes_the_settings_and_keeps_what_it_was_not_given(
    client: AsyncKurrentDBClient,
) -> None:
    await client.create_subscription_to_stream("g", "orders", max_subscriber_count=2)
    await client.update_subscription_to_stream(
        "g", "orders", resolve_links=True, consumer_strategy="RoundRobin"
    )
    info = await client.get_subscription_info("g", stream_name="orders")
    assert (info.resolve_links, info.consumer_strategy) == (True, "RoundRobin")
    assert (info.max_subscriber_count, info.start_from) == (2, "0")


async def test_list_shows_groups_of_all_streams_or_of_one(client: AsyncKurrentDBClient) -> None:
    assert await client.list_subscriptions_to_stream("orders") == []
    await client.create_subscription_to_all("a")
    await client.create_subscription_to_stream("b", "orders")
    assert sorted(s.group_name for s in await client.list_subscriptions()) == ["a", "b"]
    assert [s.group_name for s in await client.list_subscriptions_to_stream("orders")] == ["b"]


async def test_a_deleted_group_is_gone_and_can_be_created_again(
    client: AsyncKurrentDBClient,
) -> None:
    await client.create_subscription_to_all("g")
    await client.delete_subscription("g")
    assert await client.list_subscriptions() == []
    with pytest.raises(NotFoundError):
        await client.delete_subscription("g")
    await client.create_subscription_to_all("g")


async def test_consumers_beyond_the_max_subscriber_count_are_refused(
    client: AsyncKurrentDBClient,
) -> None:
    await client.create_subscription_to_stream("g", "orders", max_subscriber_count=1)
    first = await client.read_subscription_to_stream("g", "orders")
    with pytest.raises(MaximumSubscriptionsReachedError):
        await client.read_subscription_to_stream("g", "orders")
    await first.stop()


async def test_info_counts_connections_and_the_checkpoint(client: AsyncKurrentDBClient) -> None:
    events = [NewEvent(type="T", data=b"{}") for _ in range(3)]
    await client.append_to_stream("orders", current_version=StreamState.NO_STREAM, events=events)
    await client.create_subscription_to_stream(
        "g", "orders", max_checkpoint_count=1, min_checkpoint_count=1
    )
    subscription = await client.read_subscription_to_stream("g", "orders", max_ack_delay=0.01)
    seen = 0
    async for event in subscription:
        await subscription.ack(event)
        seen += 1
        if seen == 3:
            break
    info = await client.get_subscription_info("g", stream_name="orders")
    for _ in range(50):
        if info.last_checkpointed_event_position == "2":
            break
        await asyncio.sleep(0.05)
        info = await client.get_subscription_info("g", stream_name="orders")
    assert info.last_checkpointed_event_position == "2"
    assert info.last_known_event_position == "2"
    assert info.total_items == 3
    assert len(info.connections) == 1
    await subscription.stop()
