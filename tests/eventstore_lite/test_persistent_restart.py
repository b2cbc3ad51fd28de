"""Checkpoints and parked messages are durable: a group resumes after its checkpoint
when the server comes back, even from `kill -9`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from kurrentdbclient import AsyncKurrentDBClient, NewEvent, RecordedEvent, StreamState
from kurrentdbclient.common import AbstractAsyncPersistentSubscription

from eventstore_lite.testing import EventStoreProcess
from tests.waiting import wait_until

# Each test starts server processes of its own (not `make test-unit`).
pytestmark = pytest.mark.servers


async def _take(
    subscription: AbstractAsyncPersistentSubscription, count: int
) -> list[RecordedEvent]:
    events: list[RecordedEvent] = []
    async with asyncio.timeout(10):
        async for event in subscription:
            events.append(event)
            if len(events) == count:
                return events
    return events


async def _wait_for_checkpoint(client: AsyncKurrentDBClient, position: int) -> None:
    expected = f"C:{position}/P:{position}"

    async def checkpointed() -> bool:
        info = await client.get_subscription_info("g")
        return info.last_checkpointed_event_position == expected

    await wait_until(checkpointed, f"the checkpoint at {expected}")


async def test_a_group_resumes_after_its_checkpoint_and_keeps_its_parked_events_across_a_crash(
    tmp_path: Path,
) -> None:
    process = EventStoreProcess(tmp_path / "eventstore")
    uri = await asyncio.to_thread(process.start)
    try:
        client = AsyncKurrentDBClient(uri)
        await client.connect()
        await client.create_subscription_to_all("g", min_checkpoint_count=1, max_checkpoint_count=1)
        events = [NewEvent(type="T", data=b"{}") for _ in range(5)]
        await client.append_to_stream("s", current_version=StreamState.NO_STREAM, events=events)
        subscription = await client.read_subscription_to_all(
            "g", event_buffer_size=3, max_ack_delay=0.01
        )
        first, second, third = await _take(subscription, 3)
        await subscription.ack(first)
        await subscription.ack(second)
        await subscription.nack(third, action="park")
        await _wait_for_checkpoint(client, third.commit_position)
        await client.close()

        await asyncio.to_thread(process.kill)
        uri = await asyncio.to_thread(process.start)

        client = AsyncKurrentDBClient(uri)
        await client.connect()
        info = await client.get_subscription_info("g")
        assert info.parked_message_count == 1
        assert (
            info.last_checkpointed_event_position
            == f"C:{third.commit_position}/P:{third.commit_position}"
        )
        subscription = await client.read_subscription_to_all("g", max_ack_delay=0.01)
        resumed = await _take(subscription, 2)
        assert [e.id for e in resumed] == [events[3].id, events[4].id]
        for event in resumed:
            await subscription.ack(event)
        await client.replay_parked_events("g")
        (replayed,) = await _take(subscription, 1)
        assert replayed.id == events[2].id
        await subscription.ack(replayed)
        await subscription.stop()
        await client.close()
    finally:
        await asyncio.to_thread(process.terminate)


async def test_a_clean_stop_writes_the_checkpoint_the_policy_had_not_written_yet(
    tmp_path: Path,
) -> None:
    process = EventStoreProcess(tmp_path / "eventstore")
    uri = await asyncio.to_thread(process.start)
    try:
        client = AsyncKurrentDBClient(uri)
        await client.connect()
        # Defaults: a checkpoint only after 10 events or 2 seconds, so none is written here.
        await client.create_subscription_to_stream("g", "s")
        events = [NewEvent(type="T", data=b"{}") for _ in range(3)]
        await client.append_to_stream("s", current_version=StreamState.NO_STREAM, events=events)
        subscription = await client.read_subscription_to_stream("g", "s", max_ack_delay=0.01)
        for event in await _take(subscription, 2):
            await subscription.ack(event)

        async def acks_received() -> bool:
            info = await client.get_subscription_info("g", stream_name="s")
            return info.total_in_flight_messages == 1

        await wait_until(acks_received, "the two acks at the server")
        await subscription.stop()
        await client.close()

        await asyncio.to_thread(process.terminate)
        uri = await asyncio.to_thread(process.start)

        client = AsyncKurrentDBClient(uri)
        await client.connect()
        subscription = await client.read_subscription_to_stream("g", "s")
        (resumed,) = await _take(subscription, 1)
        assert resumed.id == events[2].id
        await subscription.stop()
        await client.close()
    finally:
        await asyncio.to_thread(process.terminate)
