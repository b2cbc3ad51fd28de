"""Acknowledged appends survive `kill -9` of the server."""

from __future__ import annotations

import asyncio
import uuid

from kurrentdbclient import AsyncKurrentDBClient, NewEvent, StreamState
from kurrentdbclient.exceptions import ServiceUnavailableError

from eventstore_lite.testing import EventStoreProcess


async def connect(uri: str) -> AsyncKurrentDBClient:
    client = AsyncKurrentDBClient(uri)
    await client.connect()
    return client


async def read_ids(client: AsyncKurrentDBClient, stream: str) -> list[uuid.UUID]:
    # gRPC shares subchannels between channels: the dead server's connection failure can
    # linger for a moment after the restart, so retry briefly as any real caller would.
    for _ in range(50):
        try:
            return [e.id for e in await client.get_stream(stream)]
        except ServiceUnavailableError:
            await asyncio.sleep(0.1)
    return [e.id for e in await client.get_stream(stream)]


async def _append_until_failure(
    client: AsyncKurrentDBClient, stream: str, acked: list[uuid.UUID]
) -> None:
    revision: int | StreamState = StreamState.NO_STREAM
    while True:
        event = NewEvent(type="Burst", data=b'{"n":1}')
        try:
            await client.append_to_stream(
                stream, current_version=revision, events=[event], timeout=2
            )
        except Exception:
            return
        acked.append(event.id)
        revision = len(acked) - 1


async def test_killing_the_server_during_a_burst_of_appends_loses_no_acknowledged_event(
    fresh_eventstore: EventStoreProcess,
) -> None:
    client = await connect(fresh_eventstore.uri)
    streams = [f"burst-{n}-{uuid.uuid4()}" for n in range(4)]
    acked: dict[str, list[uuid.UUID]] = {s: [] for s in streams}
    bursts = [asyncio.create_task(_append_until_failure(client, s, acked[s])) for s in streams]
    while sum(len(a) for a in acked.values()) < 200:
        await asyncio.wait(bursts, timeout=0.01)

    fresh_eventstore.kill()
    await asyncio.wait_for(asyncio.gather(*bursts), timeout=30)
    await client.close()
    fresh_eventstore.start()

    reconnected = await connect(fresh_eventstore.uri)
    try:
        for stream in streams:
            stored = await read_ids(reconnected, stream)
            assert stored[: len(acked[stream])] == acked[stream]
            assert len(stored) - len(acked[stream]) <= 1
    finally:
        await reconnected.close()
