"""Appending through the official async client: expectations, idempotency, bad input."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2
from kurrentdbclient import AsyncKurrentDBClient, KurrentDBClient, NewEvent, StreamState
from kurrentdbclient.exceptions import (
    AccessDeniedError,
    BadRequestError,
    MaximumAppendSizeExceededError,
    NotFoundError,
    WrongCurrentVersionError,
)
from kurrentdbclient.protos.v1 import shared_pb2, streams_pb2, streams_pb2_grpc

from eventstore_lite.testing import EventStoreProcess


def new_event(event_type: str = "Happened", data: bytes = b"{}") -> NewEvent:
    return NewEvent(type=event_type, data=data, metadata=b'{"m":1}')


def a_stream() -> str:
    return f"test-{uuid.uuid4()}"


async def test_appended_events_read_back_with_their_revisions_positions_and_content(
    client: AsyncKurrentDBClient,
) -> None:
    stream = a_stream()
    events = [new_event("First", b'{"n":1}'), new_event("Second", b"\x00\x01")]
    position = await client.append_to_stream(
        stream, current_version=StreamState.NO_STREAM, events=events
    )

    recorded = await client.get_stream(stream)

    assert [e.id for e in recorded] == [e.id for e in events]
    assert [e.stream_position for e in recorded] == [0, 1]
    assert [e.type for e in recorded] == ["First", "Second"]
    assert [e.data for e in recorded] == [b'{"n":1}', b"\x00\x01"]
    assert recorded[0].metadata == b'{"m":1}'
    assert recorded[-1].commit_position == position
    assert recorded[-1].prepare_position == position
    assert recorded[0].commit_position < recorded[1].commit_position
    assert recorded[0].recorded_at is not None


async def test_a_wrong_expected_revision_is_refused_with_the_current_revision(
    client: AsyncKurrentDBClient,
) -> None:
    stream = a_stream()
    await client.append_to_stream(
        stream, current_version=StreamState.NO_STREAM, events=[new_event()]
    )

    with pytest.raises(WrongCurrentVersionError) as refused:
        await client.append_to_stream(stream, current_version=5, events=[new_event()])

    assert "last event is 0" in str(refused.value)
    assert len(await client.get_stream(stream)) == 1


@pytest.mark.parametrize(
    ("expected", "exists", "accepted"),
    [
        (StreamState.NO_STREAM, False, True),
        (StreamState.NO_STREAM, True, False),
        (StreamState.EXISTS, False, False),
        (StreamState.EXISTS, True, True),
        (StreamState.ANY, False, True),
        (StreamState.ANY, True, True),
        (0, True, True),
        (0, False, False),
    ],
)
async def test_every_stream_state_expectation_is_checked(
    client: AsyncKurrentDBClient, expected: StreamState | int, exists: bool, accepted: bool
) -> None:
    stream = a_stream()
    if exists:
        await client.append_to_stream(stream, current_version=StreamState.ANY, events=[new_event()])

    if accepted:
        await client.append_to_stream(stream, current_version=expected, events=[new_event()])
        assert await client.get_current_version(stream) == (1 if exists else 0)
    else:
        with pytest.raises(WrongCurrentVersionError):
            await client.append_to_stream(stream, current_version=expected, events=[new_event()])


async def test_retrying_an_append_with_the_same_event_ids_does_not_duplicate_it(
    client: AsyncKurrentDBClient,
) -> None:
    stream = a_stream()
    events = [new_event(), new_event()]
    first = await client.append_to_stream(
        stream, current_version=StreamState.NO_STREAM, events=events
    )

    retried = await client.append_to_stream(
        stream, current_version=StreamState.NO_STREAM, events=events
    )

    assert retried == first
    assert [e.id for e in await client.get_stream(stream)] == [e.id for e in events]


async def test_of_concurrent_appends_with_the_same_expected_revision_exactly_one_wins(
    client: AsyncKurrentDBClient,
) -> None:
    stream = a_stream()
    await client.append_to_stream(
        stream, current_version=StreamState.NO_STREAM, events=[new_event()]
    )

    results = await asyncio.gather(
        *(
            client.append_to_stream(stream, current_version=0, events=[new_event()])
            for _ in range(8)
        ),
        return_exceptions=True,
    )

    assert sum(isinstance(r, int) for r in results) == 1
    assert sum(isinstance(r, WrongCurrentVersionError) for r in results) == 7
    assert len(await client.get_stream(stream)) == 2


async def test_writing_to_a_reserved_dollar_stream_is_denied(client: AsyncKurrentDBClient) -> None:
    with pytest.raises(AccessDeniedError):
        await client.append_to_stream(
            "$system-ish", current_version=StreamState.ANY, events=[new_event()]
        )


async def test_an_append_over_the_maximum_size_is_refused_and_the_server_keeps_serving(
    client: AsyncKurrentDBClient,
) -> None:
    stream = a_stream()
    with pytest.raises(MaximumAppendSizeExceededError):
        await client.append_to_stream(
            stream,
            current_version=StreamState.ANY,
            events=[new_event(data=b"x" * (1024 * 1024 + 1))],
        )

    await client.append_to_stream(stream, current_version=StreamState.ANY, events=[new_event()])
    assert len(await client.get_stream(stream)) == 1


async def test_malformed_append_requests_get_invalid_argument(
    eventstore: EventStoreProcess,
) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{eventstore.port}") as channel:
        stub = streams_pb2_grpc.StreamsStub(channel)  # type: ignore[no-untyped-call]
        no_options = streams_pb2.AppendReq(
            proposed_message=streams_pb2.AppendReq.ProposedMessage(
                id=shared_pb2.UUID(string=str(uuid.uuid4())), metadata={"type": "T"}
            )
        )
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.Append(iter([no_options]))
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT

        options = streams_pb2.AppendReq(
            options=streams_pb2.AppendReq.Options(
                stream_identifier=shared_pb2.StreamIdentifier(stream_name=b"s"),
                any=shared_pb2.Empty(),
            )
        )
        bad_id = streams_pb2.AppendReq(
            proposed_message=streams_pb2.AppendReq.ProposedMessage(
                id=shared_pb2.UUID(string="not-a-uuid"), metadata={"type": "T"}
            )
        )
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.Append(iter([options, bad_id]))
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_a_batch_append_without_options_is_answered_with_an_error_status(
    eventstore: EventStoreProcess,
) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{eventstore.port}") as channel:
        stub = streams_pb2_grpc.StreamsStub(channel)  # type: ignore[no-untyped-call]
        request = streams_pb2.BatchAppendReq(
            correlation_id=shared_pb2.UUID(string=str(uuid.uuid4())), is_final=True
        )
        responses = [r async for r in stub.BatchAppend(iter([request]))]

    assert len(responses) == 1
    assert responses[0].WhichOneof("result") == "error"
    assert responses[0].error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]


async def test_an_event_without_a_type_is_a_bad_request(client: AsyncKurrentDBClient) -> None:
    stream = a_stream()
    with pytest.raises(BadRequestError):
        await client.append_to_stream(
            stream, current_version=StreamState.ANY, events=[NewEvent(type="", data=b"")]
        )

    with pytest.raises(NotFoundError):
        await client.get_stream(stream)


@pytest.mark.servers
def test_the_maximum_append_size_is_configurable(tmp_path: Path) -> None:
    process = EventStoreProcess(tmp_path / "store", max_append_size=100)
    process.start()
    client = KurrentDBClient(process.uri)
    try:
        client.append_to_stream(
            "s", current_version=StreamState.ANY, events=[new_event(data=b"x" * 50)]
        )
        with pytest.raises(MaximumAppendSizeExceededError):
            client.append_to_stream(
                "s", current_version=StreamState.ANY, events=[new_event(data=b"x" * 101)]
            )
    finally:
        client.close()
        process.terminate()


async def test_a_batch_split_over_several_requests_is_appended_atomically_when_final(
    eventstore: EventStoreProcess, client: AsyncKurrentDBClient
) -> None:
    stream = a_stream()
    correlation = shared_pb2.UUID(string=str(uuid.uuid4()))

    def message() -> streams_pb2.BatchAppendReq.ProposedMessage:
        return streams_pb2.BatchAppendReq.ProposedMessage(
            id=shared_pb2.UUID(string=str(uuid.uuid4())),
            metadata={"type": "Chunked", "content-type": "application/json"},
            data=b"{}",
        )

    first = streams_pb2.BatchAppendReq(
        correlation_id=correlation,
        options=streams_pb2.BatchAppendReq.Options(
            stream_identifier=shared_pb2.StreamIdentifier(stream_name=stream.encode()),
            no_stream=empty_pb2.Empty(),
        ),
        proposed_messages=[message()],
        is_final=False,
    )
    last = streams_pb2.BatchAppendReq(
        correlation_id=correlation, proposed_messages=[message(), message()], is_final=True
    )
    async with grpc.aio.insecure_channel(f"127.0.0.1:{eventstore.port}") as channel:
        stub = streams_pb2_grpc.StreamsStub(channel)  # type: ignore[no-untyped-call]
        responses = [r async for r in stub.BatchAppend(iter([first, last]))]

    assert [r.WhichOneof("result") for r in responses] == ["success"]
    assert responses[0].success.current_revision == 2
    assert len(await client.get_stream(stream)) == 3


async def test_a_retry_that_only_partly_matches_the_earlier_append_is_refused(
    client: AsyncKurrentDBClient,
) -> None:
    stream = a_stream()
    written = [new_event(), new_event()]
    await client.append_to_stream(stream, current_version=StreamState.ANY, events=written)

    with pytest.raises(WrongCurrentVersionError):
        await client.append_to_stream(
            stream, current_version=StreamState.ANY, events=[written[0], new_event()]
        )

    assert [e.id for e in await client.get_stream(stream)] == [e.id for e in written]
