"""Persistent subscriptions deliver, redeliver, park and share events as the real server does,
checked through the official async client against the embedded server."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any, Literal

from kurrentdbclient import AsyncKurrentDBClient, NewEvent, RecordedEvent, StreamState
from kurrentdbclient.common import AbstractAsyncPersistentSubscription

from tests.waiting import PATIENCE_SECONDS, wait_until

Subscription = AbstractAsyncPersistentSubscription
Action = Literal["unknown", "park", "retry", "skip", "stop"]


async def _append(
    client: AsyncKurrentDBClient, count: int, type_: str = "Thing"
) -> list[uuid.UUID]:
    events = [NewEvent(type=type_, data=b"{}") for _ in range(count)]
    stream = f"thing-{uuid.uuid4().hex}"
    await client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=events)
    return [e.id for e in events]


class Inbox:
    """Events of a subscription, read by a background task: timing out a wait on the
    client's iterator itself would cancel, and so stop, the subscription."""

    def __init__(self, subscription: Subscription) -> None:
        self.subscription = subscription
        self._events: asyncio.Queue[RecordedEvent] = asyncio.Queue()
        self._task = asyncio.create_task(self._pump())

    async def _pump(self) -> None:
        async for event in self.subscription:
            self._events.put_nowait(event)

    async def next(self, within: float = 5.0) -> RecordedEvent:
        return await asyncio.wait_for(self._events.get(), within)

    async def nothing_within(self, seconds: float) -> bool:
        try:
            await self.next(seconds)
        except TimeoutError:
            return True
        return False

    async def ack(self, event: RecordedEvent | uuid.UUID) -> None:
        await self.subscription.ack(event)

    async def nack(self, event: RecordedEvent | uuid.UUID, action: Action) -> None:
        await self.subscription.nack(event, action)

    async def stop(self) -> None:
        await self.subscription.stop()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task


async def _read_all(client: AsyncKurrentDBClient, group: str, **options: Any) -> Inbox:
    return Inbox(await client.read_subscription_to_all(group, **options))


async def test_acknowledged_events_are_not_delivered_again(
    client: AsyncKurrentDBClient, group: str
) -> None:
    await client.create_subscription_to_all(group, from_end=True)
    first = await _append(client, 3)
    subscription = await _read_all(client, group)
    for expected in first:
        event = await subscription.next()
        assert event.id == expected
        assert event.retry_count == 0
        await subscription.ack(event)
    await subscription.stop()

    later = await _append(client, 1)
    subscription = await _read_all(client, group)
    assert (await subscription.next()).id == later[0]
    await subscription.stop()


async def test_a_subscription_from_a_commit_position_includes_that_position(
    client: AsyncKurrentDBClient,
    group: str,
    stream: str,
) -> None:
    await _append(client, 2)
    position = await client.append_to_stream(
        stream, current_version=StreamState.NO_STREAM, events=[NewEvent(type="T", data=b"{}")]
    )
    await client.create_subscription_to_all(group, commit_position=position)
    subscription = await _read_all(client, group)
    event = await subscription.next()
    assert (event.stream_name, event.commit_position) == (stream, position)
    await subscription.stop()


async def test_a_nacked_event_is_redelivered_with_its_retry_count(
    client: AsyncKurrentDBClient,
    group: str,
) -> None:
    await client.create_subscription_to_all(group, from_end=True)
    (event_id,) = await _append(client, 1)
    subscription = await _read_all(client, group, max_ack_delay=0.01)
    seen = []
    for _ in range(3):
        event = await subscription.next()
        seen.append((event.id, event.retry_count))
        await subscription.nack(event, action="retry")
    assert seen == [(event_id, 0), (event_id, 1), (event_id, 2)]
    await subscription.stop()


async def test_an_event_is_parked_after_max_retries_and_replayed_on_request(
    client: AsyncKurrentDBClient,
    group: str,
) -> None:
    await client.create_subscription_to_all(group, from_end=True, max_retry_count=2)
    poison, healthy = await _append(client, 2)
    subscription = await _read_all(client, group, event_buffer_size=1, max_ack_delay=0.01)
    retry_counts = []
    while True:
        event = await subscription.next()
        if event.id == healthy:
            await subscription.ack(event)
            break
        retry_counts.append(event.retry_count)
        await subscription.nack(event, action="retry")
    assert retry_counts == [0, 1, 2]
    assert await subscription.nothing_within(0.5)
    info = await client.get_subscription_info(group)
    assert info.parked_message_count == 1

    await client.replay_parked_events(group)
    replayed = await subscription.next()
    assert (replayed.id, replayed.retry_count) == (poison, 0)
    await subscription.ack(replayed)

    async def none_parked() -> bool:
        return (await client.get_subscription_info(group)).parked_message_count == 0

    await wait_until(none_parked, "the replayed event no longer parked")
    await subscription.stop()


async def test_a_nack_with_park_parks_at_once_and_skip_drops_the_event(
    client: AsyncKurrentDBClient,
    group: str,
) -> None:
    await client.create_subscription_to_all(group, from_end=True, message_timeout=0.5)
    parked, skipped = await _append(client, 2)
    subscription = await _read_all(client, group, max_ack_delay=0.01)
    assert (await subscription.next()).id == parked
    await subscription.nack(parked, action="park")
    assert (await subscription.next()).id == skipped
    await subscription.nack(skipped, action="skip")
    assert await subscription.nothing_within(1.2)
    assert (await client.get_subscription_info(group)).parked_message_count == 1
    await subscription.stop()


async def test_an_unacknowledged_event_is_redelivered_after_the_message_timeout(
    client: AsyncKurrentDBClient,
    group: str,
) -> None:
    await client.create_subscription_to_all(group, from_end=True, message_timeout=0.3)
    (event_id,) = await _append(client, 1)
    subscription = await _read_all(client, group)
    first = await subscription.next()
    second = await subscription.next(3)
    assert (first.id, first.retry_count) == (event_id, 0)
    assert (second.id, second.retry_count) == (event_id, 1)
    await subscription.ack(second)
    await subscription.stop()


async def test_a_consumer_gets_no_more_unacknowledged_events_than_its_buffer(
    client: AsyncKurrentDBClient,
    group: str,
) -> None:
    await client.create_subscription_to_all(group, from_end=True)
    ids = await _append(client, 3)
    subscription = await _read_all(client, group, event_buffer_size=1)
    first = await subscription.next()
    assert first.id == ids[0]
    assert await subscription.nothing_within(0.5)
    await subscription.ack(first)
    assert (await subscription.next()).id == ids[1]
    await subscription.stop()


async def test_two_consumers_in_one_group_share_the_load(
    client: AsyncKurrentDBClient, group: str, stream: str
) -> None:
    await client.create_subscription_to_all(group, from_end=True, consumer_strategy="RoundRobin")
    one = await _read_all(client, group)
    two = await _read_all(client, group)
    ids = await _append(client, 10)
    received: dict[str, list[uuid.UUID]] = {stream: [], "two": []}

    async def consume(name: str, subscription: Inbox) -> None:
        while sum(len(v) for v in received.values()) < len(ids):
            try:
                event = await subscription.next(0.5)
            except TimeoutError:
                continue
            received[name].append(event.id)
            await subscription.ack(event)

    await asyncio.wait_for(
        asyncio.gather(consume(stream, one), consume("two", two)), PATIENCE_SECONDS
    )
    assert len(received[stream]) == len(received["two"]) == 5
    assert sorted(received[stream] + received["two"]) == sorted(ids)
    await one.stop()
    await two.stop()


async def test_a_stopped_consumer_hands_its_unacknowledged_events_to_the_next(
    client: AsyncKurrentDBClient,
    group: str,
) -> None:
    await client.create_subscription_to_all(group, from_end=True)
    (event_id,) = await _append(client, 1)
    first = await _read_all(client, group)
    assert (await first.next()).id == event_id
    await first.stop()
    second = await _read_all(client, group)
    again = await second.next()
    assert (again.id, again.retry_count) == (event_id, 1)
    await second.stop()


async def test_pinned_sends_every_event_of_a_stream_to_the_same_consumer(
    client: AsyncKurrentDBClient,
    group: str,
    stream: str,
) -> None:
    await client.create_subscription_to_all(group, from_end=True, consumer_strategy="Pinned")
    one = await _read_all(client, group)
    two = await _read_all(client, group)
    streams = [f"pin-{group}-{i}" for i in range(6)]
    for stream in streams:
        events = [NewEvent(type="T", data=b"{}") for _ in range(3)]
        await client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=events)
    owners: dict[str, set[str]] = {}
    for name, subscription in ((stream, one), ("two", two)):
        while True:
            try:
                event = await subscription.next(0.5)
            except TimeoutError:
                break
            owners.setdefault(event.stream_name, set()).add(name)
            await subscription.ack(event)
    assert sorted(owners) == streams
    assert all(len(names) == 1 for names in owners.values())
    await one.stop()
    await two.stop()


async def test_a_filtered_subscription_to_all_sees_only_matching_events(
    client: AsyncKurrentDBClient,
    group: str,
    stream: str,
) -> None:
    await client.create_subscription_to_all(
        f"{group}-by-type", filter_include=["Wanted"], from_end=True
    )
    await client.create_subscription_to_all(
        f"{group}-by-stream",
        filter_include=[f"keep-{group}.*"],
        filter_by_stream_name=True,
        from_end=True,
    )
    await _append(client, 2, type_="Unwanted")
    wanted = await _append(client, 1, type_="Wanted")
    await client.append_to_stream(
        f"keep-{group}",
        current_version=StreamState.NO_STREAM,
        events=[NewEvent(type="X", data=b"{}")],
    )
    by_type = await _read_all(client, f"{group}-by-type")
    assert (await by_type.next()).id == wanted[0]
    assert await by_type.nothing_within(0.5)
    by_stream = await _read_all(client, f"{group}-by-stream")
    assert (await by_stream.next()).stream_name == f"keep-{group}"
    assert await by_stream.nothing_within(0.5)
    await by_type.stop()
    await by_stream.stop()


async def test_a_stream_subscription_starts_at_the_given_revision_and_follows_live_events(
    client: AsyncKurrentDBClient,
    group: str,
    stream: str,
) -> None:
    events = [NewEvent(type="T", data=b"{}") for _ in range(3)]
    await client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=events)
    await client.create_subscription_to_stream(group, stream, stream_position=1)
    subscription = Inbox(await client.read_subscription_to_stream(group, stream))
    assert [(await subscription.next()).stream_position for _ in range(2)] == [1, 2]
    await client.append_to_stream(
        stream, current_version=2, events=[NewEvent(type="T", data=b"{}")]
    )
    assert (await subscription.next()).stream_position == 3
    await subscription.stop()


async def test_a_backlog_larger_than_the_history_buffer_flows_without_waiting_for_acks(
    client: AsyncKurrentDBClient,
    group: str,
) -> None:
    await client.create_subscription_to_all(
        group, from_end=True, history_buffer_size=20, read_batch_size=10
    )
    ids = await _append(client, 100)
    subscription = await _read_all(client, group, event_buffer_size=200)
    # Before any ack, and well within the one-second clock of timeouts and checkpoints.
    async with asyncio.timeout(2.5):
        received = [(await subscription.next()).id for _ in ids]
    assert received == ids
    await subscription.stop()
