"""Catch-up subscriptions: confirmation, history, caught-up, then live events."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from kurrentdbclient import AsyncKurrentDBClient, NewEvent, StreamState
from kurrentdbclient.events import CaughtUp
from kurrentdbclient.exceptions import StreamIsDeletedError

from tests.waiting import PATIENCE_SECONDS


def a_stream() -> str:
    return f"sub-{uuid.uuid4()}"


async def test_a_stream_subscription_sees_history_then_caught_up_then_live_events(
    client: AsyncKurrentDBClient,
) -> None:
    stream = a_stream()
    history = [NewEvent(type="Old", data=b"{}") for _ in range(3)]
    await client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=history)

    subscription = await client.subscribe_to_stream(stream, include_caught_up=True)
    received: list[str] = []
    async with subscription:
        async for event in subscription:
            if isinstance(event, CaughtUp):
                received.append("caught-up")
                await client.append_to_stream(
                    stream, current_version=2, events=[NewEvent(type="New", data=b"{}")]
                )
                continue
            received.append(event.type)
            if event.type == "New":
                break

    assert received == ["Old", "Old", "Old", "caught-up", "New"]


async def test_a_stream_subscription_starts_after_the_given_revision(
    client: AsyncKurrentDBClient,
) -> None:
    stream = a_stream()
    events = [NewEvent(type=f"E{n}", data=b"{}") for n in range(4)]
    await client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=events)

    subscription = await client.subscribe_to_stream(stream, stream_position=1)
    async with subscription:
        first = await anext(aiter(subscription))

    assert first.stream_position == 2


async def test_a_subscription_to_a_stream_that_does_not_exist_yet_gets_its_first_event(
    client: AsyncKurrentDBClient,
) -> None:
    stream = a_stream()
    subscription = await client.subscribe_to_stream(stream)
    async with subscription:
        await client.append_to_stream(
            stream, current_version=StreamState.NO_STREAM, events=[NewEvent(type="Born", data=b"")]
        )
        first = await asyncio.wait_for(anext(aiter(subscription)), PATIENCE_SECONDS)

    assert (first.type, first.stream_position) == ("Born", 0)


async def test_an_all_subscription_starts_after_the_given_position_and_goes_live(
    client: AsyncKurrentDBClient,
) -> None:
    stream = a_stream()
    start = await client.append_to_stream(
        stream, current_version=StreamState.NO_STREAM, events=[NewEvent(type="Before", data=b"")]
    )
    subscription = await client.subscribe_to_all(commit_position=start)
    async with subscription:
        await client.append_to_stream(
            stream, current_version=0, events=[NewEvent(type="After", data=b"")]
        )
        first = await asyncio.wait_for(anext(aiter(subscription)), PATIENCE_SECONDS)

    assert (first.type, first.stream_name) == ("After", stream)
    assert first.commit_position > start


async def test_a_stream_subscription_ends_with_stream_deleted_when_the_stream_is_tombstoned(
    client: AsyncKurrentDBClient,
) -> None:
    stream = a_stream()
    await client.append_to_stream(
        stream, current_version=StreamState.NO_STREAM, events=[NewEvent(type="Only", data=b"")]
    )
    subscription = await client.subscribe_to_stream(stream)
    first = await anext(aiter(subscription))

    await client.tombstone_stream(stream, current_version=0)

    with pytest.raises(StreamIsDeletedError):
        await asyncio.wait_for(anext(aiter(subscription)), PATIENCE_SECONDS)
    assert first.type == "Only"
