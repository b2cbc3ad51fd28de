"""The server process: connection strings, discovery, the legacy Append RPC, clean stops."""

from __future__ import annotations

import uuid
from pathlib import Path

import grpc
import pytest
from kurrentdbclient import AsyncKurrentDBClient, KurrentDBClient, NewEvent, StreamState
from kurrentdbclient.protos.v1 import shared_pb2, streams_pb2, streams_pb2_grpc

from eventstore_lite.testing import EventStoreProcess, async_run_eventstore

# Each test starts server processes of its own (not `make test-unit`).
pytestmark = pytest.mark.servers


async def test_the_async_helper_yields_a_connection_string_the_client_can_use(
    tmp_path: Path,
) -> None:
    async with async_run_eventstore(tmp_path / "store") as uri:
        assert uri.startswith("kurrentdb://127.0.0.1:")
        assert uri.endswith("?tls=false")
        client = AsyncKurrentDBClient(uri)
        await client.connect()
        position = await client.append_to_stream(
            "helper-check",
            current_version=StreamState.NO_STREAM,
            events=[NewEvent(type="T", data=b"")],
        )
        await client.close()
    assert position > 0


def test_a_discover_connection_string_finds_the_single_leader(
    eventstore: EventStoreProcess,
) -> None:
    client = KurrentDBClient(f"kurrentdb+discover://127.0.0.1:{eventstore.port}?tls=false")
    try:
        members = client.read_gossip()
        stream = f"discover-{uuid.uuid4()}"
        client.append_to_stream(
            stream, current_version=StreamState.NO_STREAM, events=[NewEvent(type="T", data=b"")]
        )
        assert len(client.get_stream(stream)) == 1
    finally:
        client.close()
    assert [(m.state, m.port) for m in members] == [("NODE_STATE_LEADER", eventstore.port)]


def _append_requests(
    stream: str, expected: int | None, event_id: uuid.UUID
) -> list[streams_pb2.AppendReq]:
    options = streams_pb2.AppendReq.Options(
        stream_identifier=shared_pb2.StreamIdentifier(stream_name=stream.encode())
    )
    if expected is None:
        options.no_stream.CopyFrom(shared_pb2.Empty())
    else:
        options.revision = expected
    message = streams_pb2.AppendReq.ProposedMessage(
        id=shared_pb2.UUID(string=str(event_id)),
        metadata={"type": "Legacy", "content-type": "application/json"},
        data=b"{}",
    )
    return [streams_pb2.AppendReq(options=options), streams_pb2.AppendReq(proposed_message=message)]


async def test_the_legacy_append_rpc_appends_and_reports_wrong_expected_versions(
    eventstore: EventStoreProcess,
) -> None:
    stream = f"legacy-{uuid.uuid4()}"
    async with grpc.aio.insecure_channel(f"127.0.0.1:{eventstore.port}") as channel:
        stub = streams_pb2_grpc.StreamsStub(channel)  # type: ignore[no-untyped-call]
        first = await stub.Append(iter(_append_requests(stream, None, uuid.uuid4())))
        conflict = await stub.Append(iter(_append_requests(stream, 7, uuid.uuid4())))

    assert first.WhichOneof("result") == "success"
    assert first.success.current_revision == 0
    assert first.success.position.commit_position > 0
    assert conflict.WhichOneof("result") == "wrong_expected_version"
    assert conflict.wrong_expected_version.current_revision == 0


def test_sigterm_stops_the_server_cleanly_and_its_data_survives_a_restart(tmp_path: Path) -> None:
    process = EventStoreProcess(tmp_path / "store")
    process.start()
    first_uri = process.uri

    assert process.terminate() == 0

    process.start()
    try:
        assert process.uri == first_uri
    finally:
        assert process.terminate() == 0


def test_a_second_server_on_a_port_in_use_refuses_to_start(
    eventstore: EventStoreProcess, tmp_path: Path
) -> None:
    second = EventStoreProcess(tmp_path / "second", port=eventstore.port)

    with pytest.raises(RuntimeError, match="exited with code 1"):
        second.start()
