"""Soft delete and tombstone, with the real server's observable semantics."""

from __future__ import annotations

import uuid

import pytest
from kurrentdbclient import AsyncKurrentDBClient, NewEvent, StreamState
from kurrentdbclient.exceptions import NotFoundError, StreamIsDeletedError


def events(count: int) -> list[NewEvent]:
    return [NewEvent(type="E", data=b"{}") for _ in range(count)]


async def test_a_soft_deleted_stream_is_not_found_but_keeps_its_numbering_when_written_again(
    client: AsyncKurrentDBClient,
) -> None:
    stream = f"del-{uuid.uuid4()}"
    old = await client.append_to_stream(
        stream, current_version=StreamState.NO_STREAM, events=events(2)
    )

    await client.delete_stream(stream, current_version=1)

    with pytest.raises(NotFoundError):
        await client.get_stream(stream)
    await client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=events(1))
    recreated = await client.get_stream(stream)
    assert [e.stream_position for e in recreated] == [2]
    in_all = [e async for e in await client.read_all(commit_position=old - 1, limit=10)]
    assert [e.stream_position for e in in_all if e.stream_name == stream] == [0, 1, 2]


async def test_deleting_a_stream_that_never_existed_raises_not_found(
    client: AsyncKurrentDBClient,
) -> None:
    with pytest.raises(NotFoundError):
        await client.delete_stream(f"del-{uuid.uuid4()}", current_version=StreamState.ANY)


async def test_a_tombstoned_stream_can_never_be_read_or_written_again(
    client: AsyncKurrentDBClient,
) -> None:
    stream = f"del-{uuid.uuid4()}"
    await client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=events(1))

    await client.tombstone_stream(stream, current_version=0)

    with pytest.raises(StreamIsDeletedError):
        await client.get_stream(stream)
    with pytest.raises(StreamIsDeletedError):
        await client.append_to_stream(stream, current_version=StreamState.ANY, events=events(1))
    with pytest.raises(StreamIsDeletedError):
        await client.tombstone_stream(stream, current_version=StreamState.ANY)


async def test_stream_metadata_round_trips_and_its_truncate_before_hides_older_events(
    client: AsyncKurrentDBClient,
) -> None:
    stream = f"meta-{uuid.uuid4()}"
    await client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=events(3))
    metadata, version = await client.get_stream_metadata(stream)
    assert metadata == {}

    await client.set_stream_metadata(
        stream, metadata={"$tb": 2, "owner": "me"}, current_version=version
    )

    metadata, _ = await client.get_stream_metadata(stream)
    assert metadata == {"$tb": 2, "owner": "me"}
    assert [e.stream_position for e in await client.get_stream(stream)] == [2]
