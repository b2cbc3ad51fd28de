"""Garbage and out-of-range fields get INVALID_ARGUMENT on every service, and write nothing.

Calls go through raw channels, below the official client, which never sends such requests.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2
from google.protobuf.descriptor import MethodDescriptor
from kurrentdbclient import AsyncKurrentDBClient, NewEvent, StreamState
from kurrentdbclient.exceptions import NotFoundError
from kurrentdbclient.protos.v1 import (
    gossip_pb2,
    persistent_pb2,
    persistent_pb2_grpc,
    shared_pb2,
    streams_pb2,
    streams_pb2_grpc,
)

from eventstore_lite.testing import EventStoreProcess

GARBAGE = b"\xff\xff\xff\xff"
BEYOND_INT64 = 2**63
SERVICES = [
    streams_pb2.DESCRIPTOR.services_by_name["Streams"],
    persistent_pb2.DESCRIPTOR.services_by_name["PersistentSubscriptions"],
    gossip_pb2.DESCRIPTOR.services_by_name["Gossip"],
]
Options = streams_pb2.ReadReq.Options


@pytest.fixture
async def channel(eventstore: EventStoreProcess) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{eventstore.port}") as opened:
        yield opened


async def status_of(call: Awaitable[object]) -> tuple[grpc.StatusCode, str]:
    try:
        await asyncio.wait_for(call, timeout=30)
    except grpc.aio.AioRpcError as error:
        return error.code(), error.details() or ""
    return grpc.StatusCode.OK, ""


async def _garbage_call(channel: grpc.aio.Channel, path: str, method: MethodDescriptor) -> None:
    async def requests() -> AsyncIterator[bytes]:
        yield GARBAGE

    if method.client_streaming and method.server_streaming:
        bidirectional: grpc.aio.StreamStreamMultiCallable[bytes, bytes] = channel.stream_stream(
            path
        )
        async for _ in bidirectional(requests()):
            pass
    elif method.client_streaming:
        client_stream: grpc.aio.StreamUnaryMultiCallable[bytes, bytes] = channel.stream_unary(path)
        await client_stream(requests())
    elif method.server_streaming:
        server_stream: grpc.aio.UnaryStreamMultiCallable[bytes, bytes] = channel.unary_stream(path)
        async for _ in server_stream(GARBAGE):
            pass
    else:
        unary: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(path)
        await unary(GARBAGE)


async def test_every_method_of_every_service_refuses_undecodable_bytes(
    channel: grpc.aio.Channel,
) -> None:
    statuses = {
        f"{service.name}.{method.name}": (
            await status_of(_garbage_call(channel, f"/{service.full_name}/{method.name}", method))
        )[0]
        for service in SERVICES
        for method in service.methods
    }

    assert len(statuses) >= 14
    assert {
        name: code
        for name, code in statuses.items()
        if code is not grpc.StatusCode.INVALID_ARGUMENT
    } == {}


def _proposed(stream: str) -> streams_pb2.AppendReq:
    return streams_pb2.AppendReq(
        proposed_message=streams_pb2.AppendReq.ProposedMessage(
            id=shared_pb2.UUID(string=str(uuid.uuid4())),
            metadata={"type": "Thing", "content-type": "application/json"},
            data=b"{}",
        )
    )


async def _stream_length(client: AsyncKurrentDBClient, stream: str) -> int:
    try:
        return len(await client.get_stream(stream))
    except NotFoundError:
        return 0


async def test_an_append_whose_request_stream_turns_to_garbage_writes_none_of_its_events(
    channel: grpc.aio.Channel, client: AsyncKurrentDBClient
) -> None:
    stream = f"torn-{uuid.uuid4().hex}"
    options = streams_pb2.AppendReq(
        options=streams_pb2.AppendReq.Options(
            stream_identifier=shared_pb2.StreamIdentifier(stream_name=stream.encode()),
            any=shared_pb2.Empty(),
        )
    )

    async def requests() -> AsyncIterator[bytes]:
        yield options.SerializeToString()
        yield _proposed(stream).SerializeToString()
        yield GARBAGE

    append: grpc.aio.StreamUnaryMultiCallable[bytes, bytes] = channel.stream_unary(
        "/event_store.client.streams.Streams/Append"
    )
    code, _ = await status_of(append(requests()))

    assert code is grpc.StatusCode.INVALID_ARGUMENT
    assert await _stream_length(client, stream) == 0


async def test_a_batch_append_broken_by_garbage_keeps_only_its_finished_batches(
    channel: grpc.aio.Channel, client: AsyncKurrentDBClient
) -> None:
    finished, unfinished = f"done-{uuid.uuid4().hex}", f"torn-{uuid.uuid4().hex}"

    def batch(stream: str, is_final: bool) -> bytes:
        return streams_pb2.BatchAppendReq(
            correlation_id=shared_pb2.UUID(string=str(uuid.uuid4())),
            options=streams_pb2.BatchAppendReq.Options(
                stream_identifier=shared_pb2.StreamIdentifier(stream_name=stream.encode()),
                any=empty_pb2.Empty(),
            ),
            proposed_messages=[
                streams_pb2.BatchAppendReq.ProposedMessage(
                    id=shared_pb2.UUID(string=str(uuid.uuid4())),
                    metadata={"type": "Thing", "content-type": "application/json"},
                    data=b"{}",
                )
            ],
            is_final=is_final,
        ).SerializeToString()

    answered = asyncio.Event()

    async def requests() -> AsyncIterator[bytes]:
        yield batch(finished, True)
        await answered.wait()
        yield batch(unfinished, False)
        yield GARBAGE

    batch_append: grpc.aio.StreamStreamMultiCallable[bytes, bytes] = channel.stream_stream(
        "/event_store.client.streams.Streams/BatchAppend"
    )
    call = batch_append(requests())

    async def read_all() -> None:
        async for _ in call:
            answered.set()

    code, _ = await status_of(read_all())

    assert code is grpc.StatusCode.INVALID_ARGUMENT
    assert await _stream_length(client, finished) == 1
    assert await _stream_length(client, unfinished) == 0


async def test_revisions_and_positions_beyond_64_bit_signed_are_invalid_arguments(
    channel: grpc.aio.Channel,
) -> None:
    streams = streams_pb2_grpc.StreamsStub(channel)  # type: ignore[no-untyped-call]
    groups = persistent_pb2_grpc.PersistentSubscriptionsStub(channel)  # type: ignore[no-untyped-call]
    name = shared_pb2.StreamIdentifier(stream_name=b"some-stream")
    far = Options.Position(commit_position=BEYOND_INT64, prepare_position=BEYOND_INT64)

    async def read(options: Options) -> None:
        async for _ in streams.Read(streams_pb2.ReadReq(options=options)):
            pass

    async def append(options: streams_pb2.AppendReq.Options) -> None:
        await streams.Append(iter([streams_pb2.AppendReq(options=options), _proposed("s")]))

    create = persistent_pb2.CreateReq.Options(
        stream=persistent_pb2.CreateReq.StreamOptions(stream_identifier=name, revision=2**64 - 1),
        group_name="far",
        settings=persistent_pb2.CreateReq.Settings(history_buffer_size=500, read_batch_size=20),
    )
    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "read stream": lambda: read(
            Options(
                stream=Options.StreamOptions(stream_identifier=name, revision=BEYOND_INT64), count=1
            )
        ),
        "read $all": lambda: read(Options(all=Options.AllOptions(position=far), count=1)),
        "subscribe stream": lambda: read(
            Options(
                stream=Options.StreamOptions(stream_identifier=name, revision=BEYOND_INT64),
                subscription=Options.SubscriptionOptions(),
            )
        ),
        "subscribe $all": lambda: read(
            Options(
                all=Options.AllOptions(position=far), subscription=Options.SubscriptionOptions()
            )
        ),
        "read direction": lambda: read(
            Options(
                stream=Options.StreamOptions(stream_identifier=name, start=shared_pb2.Empty()),
                count=1,
                read_direction=Options.ReadDirection.ValueType(7),
            )
        ),
        "append": lambda: append(
            streams_pb2.AppendReq.Options(stream_identifier=name, revision=BEYOND_INT64)
        ),
        "delete": lambda: streams.Delete(
            streams_pb2.DeleteReq(
                options=streams_pb2.DeleteReq.Options(stream_identifier=name, revision=BEYOND_INT64)
            )
        ),
        "tombstone": lambda: streams.Tombstone(
            streams_pb2.TombstoneReq(
                options=streams_pb2.TombstoneReq.Options(
                    stream_identifier=name, revision=BEYOND_INT64
                )
            )
        ),
        "create group": lambda: groups.Create(persistent_pb2.CreateReq(options=create)),
    }

    codes = {name: (await status_of(call()))[0] for name, call in calls.items()}

    assert codes == dict.fromkeys(calls, grpc.StatusCode.INVALID_ARGUMENT)


async def test_a_consumer_acking_an_id_that_is_no_uuid_is_dropped_with_invalid_argument(
    channel: grpc.aio.Channel, client: AsyncKurrentDBClient, group: str
) -> None:
    stream = f"acks-{uuid.uuid4().hex}"
    await client.append_to_stream(
        stream,
        current_version=StreamState.NO_STREAM,
        events=[NewEvent(type="Thing", data=b"{}")],
    )
    await client.create_subscription_to_stream(group, stream)
    read_options = persistent_pb2.ReadReq.Options(
        stream_identifier=shared_pb2.StreamIdentifier(stream_name=stream.encode()),
        group_name=group,
        buffer_size=10,
        uuid_option=persistent_pb2.ReadReq.Options.UUIDOption(string=shared_pb2.Empty()),
    )
    delivered = asyncio.Event()

    async def requests() -> AsyncIterator[persistent_pb2.ReadReq]:
        yield persistent_pb2.ReadReq(options=read_options)
        await delivered.wait()
        ack = persistent_pb2.ReadReq.Ack(ids=[shared_pb2.UUID(string="not-a-uuid")])
        yield persistent_pb2.ReadReq(ack=ack)

    subscriptions = persistent_pb2_grpc.PersistentSubscriptionsStub(channel)  # type: ignore[no-untyped-call]

    async def consume() -> None:
        async for response in subscriptions.Read(requests()):
            if response.WhichOneof("content") == "event":
                delivered.set()

    code, details = await status_of(consume())

    assert (code, details) == (grpc.StatusCode.INVALID_ARGUMENT, "Invalid event id: 'not-a-uuid'")
