"""Reading streams and $all: directions, positions and server-side filters."""

from __future__ import annotations

import uuid

import grpc
import pytest
from kurrentdbclient import AsyncKurrentDBClient, NewEvent, StreamState
from kurrentdbclient.events import Checkpoint
from kurrentdbclient.exceptions import NotFoundError
from kurrentdbclient.protos.v1 import shared_pb2, streams_pb2, streams_pb2_grpc

from eventstore_lite.testing import EventStoreProcess


def a_stream(prefix: str = "read") -> str:
    return f"{prefix}-{uuid.uuid4()}"


async def append_numbered(client: AsyncKurrentDBClient, stream: str, count: int) -> list[int]:
    positions = []
    for n in range(count):
        positions.append(
            await client.append_to_stream(
                stream, current_version=StreamState.ANY, events=[NewEvent(type=f"N{n}", data=b"{}")]
            )
        )
    return positions


async def test_reading_a_missing_stream_raises_not_found(client: AsyncKurrentDBClient) -> None:
    with pytest.raises(NotFoundError):
        await client.get_stream(a_stream())


async def test_a_stream_reads_backwards_from_a_revision_with_a_limit(
    client: AsyncKurrentDBClient,
) -> None:
    stream = a_stream()
    await append_numbered(client, stream, 5)

    events = await client.get_stream(stream, stream_position=3, backwards=True, limit=2)

    assert [e.stream_position for e in events] == [3, 2]


async def test_a_stream_reads_forwards_from_a_revision(client: AsyncKurrentDBClient) -> None:
    stream = a_stream()
    await append_numbered(client, stream, 5)

    events = await client.get_stream(stream, stream_position=2)

    assert [e.type for e in events] == ["N2", "N3", "N4"]


async def test_reading_all_forwards_from_a_position_includes_it(
    client: AsyncKurrentDBClient,
) -> None:
    stream = a_stream()
    positions = await append_numbered(client, stream, 3)

    events = [e async for e in await client.read_all(commit_position=positions[1], limit=2)]

    assert [e.commit_position for e in events] == positions[1:]


async def test_reading_all_backwards_from_a_position_excludes_it(
    client: AsyncKurrentDBClient,
) -> None:
    stream = a_stream()
    positions = await append_numbered(client, stream, 3)

    events = [
        e
        async for e in await client.read_all(commit_position=positions[2], backwards=True, limit=2)
    ]

    assert [e.commit_position for e in events] == [positions[1], positions[0]]


async def test_reading_all_backwards_from_the_end_starts_at_the_last_event(
    client: AsyncKurrentDBClient,
) -> None:
    positions = await append_numbered(client, a_stream(), 2)

    events = [e async for e in await client.read_all(backwards=True, limit=1)]

    assert [e.commit_position for e in events] == [positions[-1]]
    assert await client.get_commit_position() == positions[-1]


async def test_all_can_be_filtered_by_stream_name_prefix(client: AsyncKurrentDBClient) -> None:
    wanted = a_stream("wanted")
    await append_numbered(client, wanted, 2)
    await append_numbered(client, a_stream("other"), 2)

    events = [
        e
        async for e in await client.read_all(
            filter_include=[wanted], filter_by_stream_name=True, filter_by_prefix=True
        )
    ]

    assert {e.stream_name for e in events} == {wanted}
    assert len(events) == 2


async def test_all_can_be_filtered_by_event_type_regex(client: AsyncKurrentDBClient) -> None:
    stream = a_stream()
    kind = f"Kind{uuid.uuid4().hex}"
    await client.append_to_stream(
        stream,
        current_version=StreamState.ANY,
        events=[NewEvent(type=kind + "A", data=b""), NewEvent(type="Unrelated", data=b"")],
    )

    events = [e async for e in await client.read_all(filter_include=[kind + ".*"])]

    assert [e.type for e in events] == [kind + "A"]


async def test_a_filtered_subscription_sends_checkpoints_while_it_skips_events(
    client: AsyncKurrentDBClient,
) -> None:
    await append_numbered(client, a_stream(), 3)

    subscription = await client.subscribe_to_all(
        filter_exclude=[".*"],
        include_checkpoints=True,
        window_size=1,
        checkpoint_interval_multiplier=1,
    )
    async with subscription:
        received = await anext(aiter(subscription))

    assert isinstance(received, Checkpoint)
    assert received.commit_position > 0


async def test_malformed_read_requests_get_invalid_argument(eventstore: EventStoreProcess) -> None:
    bad_regex = streams_pb2.ReadReq.Options(
        all=streams_pb2.ReadReq.Options.AllOptions(start=shared_pb2.Empty()),
        count=10,
        filter=streams_pb2.ReadReq.Options.FilterOptions(
            event_type=streams_pb2.ReadReq.Options.FilterOptions.Expression(regex="(unclosed"),
            max=10,
            checkpointIntervalMultiplier=1,
        ),
    )
    async with grpc.aio.insecure_channel(f"127.0.0.1:{eventstore.port}") as channel:
        stub = streams_pb2_grpc.StreamsStub(channel)  # type: ignore[no-untyped-call]
        for options in (streams_pb2.ReadReq.Options(count=1), bad_regex):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                _ = [r async for r in stub.Read(streams_pb2.ReadReq(options=options))]
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
