"""Reads from the event store: a stream's missing events, the head of $all, catch-up of $all."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from kurrentdbclient import AsyncKurrentDBClient, RecordedEvent
from kurrentdbclient.exceptions import NotFoundError

from orders_contracts.streams import OUR_STREAMS_REGEX
from projector.envelope import Envelope, open_envelope

OUR_STREAMS_FILTER = (OUR_STREAMS_REGEX,)
LAG_EVENTS_CAP = 1000


def eventstore_client(uri: str) -> AsyncKurrentDBClient:
    """A client whose TCP connections are its own.

    gRPC shares one connection between all channels to the same address, so without this a
    reconnect after a connection went silent would take the same dead connection again, as
    long as another client (the stall watch's) still holds it.
    """
    client = AsyncKurrentDBClient(uri)
    client.grpc_options += (("grpc.use_local_subchannel_pool", 1),)
    return client


def from_recorded(recorded: RecordedEvent) -> Envelope:
    """Decode a delivered event; MalformedEventError (poison) propagates."""
    return open_envelope(
        stream_name=recorded.stream_name,
        revision=recorded.stream_position,
        commit_position=recorded.commit_position or 0,
        event_id=recorded.ack_id,
        event_type=recorded.type,
        data=recorded.data,
        metadata=recorded.metadata,
        recorded_at=recorded.recorded_at,
    )


async def read_revisions(
    client: AsyncKurrentDBClient, stream_name: str, revisions: range
) -> list[Envelope]:
    """The events of a stream at the given revisions (the gap a delivery left)."""
    try:
        recorded = await client.get_stream(
            stream_name, stream_position=revisions.start, limit=len(revisions)
        )
    except NotFoundError:
        return []
    return [from_recorded(r) for r in recorded if r.stream_position in revisions]


async def read_all_events(
    client: AsyncKurrentDBClient, *, after: int | None = None, limit: int = 2**62
) -> AsyncIterator[RecordedEvent]:
    """Our streams' events in $all order, after a commit position (exclusive).

    0 means the start: a store's first event may itself sit at position 0.
    """
    if after is not None and after <= 0:
        after = None
    response = await client.read_all(
        commit_position=after,
        filter_include=OUR_STREAMS_FILTER,
        filter_by_stream_name=True,
        limit=limit,
    )
    async for recorded in response:
        if after is not None and (recorded.commit_position or 0) <= after:
            continue
        yield recorded


async def position_before(client: AsyncKurrentDBClient, position: int, events: int) -> int:
    """A position at least ``events`` of our events before ``position`` (0: the start)."""
    if position <= 0:
        return 0
    response = await client.read_all(
        commit_position=position,
        backwards=True,
        filter_include=OUR_STREAMS_FILTER,
        filter_by_stream_name=True,
        limit=events + 1,
    )
    earliest, count = position, 0
    async for recorded in response:
        earliest, count = recorded.commit_position or 0, count + 1
    # A real event position, as a real server wants; it is itself excluded, and one event of
    # margin more or less does not matter.
    return 0 if count <= events else earliest


async def head_of_our_streams(client: AsyncKurrentDBClient) -> int:
    """Commit position of the last event of our streams in $all (0: none yet)."""
    response = await client.read_all(
        backwards=True, limit=1, filter_include=OUR_STREAMS_FILTER, filter_by_stream_name=True
    )
    async for recorded in response:
        return recorded.commit_position or 0
    return 0


@dataclass(frozen=True)
class Head:
    commit_position: int
    recorded_at: datetime | None


@dataclass
class Lag:
    head_commit_position: int
    lag_events: int
    lag_seconds: float


class HeadTracker:
    """The head of $all, re-read only when it may have moved and not more than once an interval."""

    def __init__(self, client: AsyncKurrentDBClient, *, interval: float = 0.5) -> None:
        self._client = client
        self._interval = interval
        self._head: Head | None = None
        self._read_at = 0.0
        self._lag_events = 0
        self._counted_at = 0.0

    async def _read_head(self) -> Head:
        response = await self._client.read_all(backwards=True, limit=1)
        async for recorded in response:
            return Head(recorded.commit_position or 0, recorded.recorded_at)
        return Head(0, None)

    async def lag(self, position: int, position_at: datetime | None) -> Lag:
        now = time.monotonic()
        if self._head is None or now - self._read_at >= self._interval:
            self._head = await self._read_head()
            self._read_at = now
        head = self._head
        if position >= head.commit_position:
            return Lag(head.commit_position, 0, 0.0)
        if now - self._counted_at >= self._interval * 4:
            # Counting is a filtered forward read, so it is capped (LAG_EVENTS_CAP means "at
            # least that many") and done less often than the head is read.
            self._lag_events = 0
            async for _ in read_all_events(self._client, after=position, limit=LAG_EVENTS_CAP):
                self._lag_events += 1
            self._counted_at = now
        seconds = 0.0
        if head.recorded_at is not None and position_at is not None:
            seconds = max(0.0, (head.recorded_at - position_at).total_seconds())
        return Lag(head.commit_position, self._lag_events, seconds)
