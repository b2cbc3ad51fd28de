"""The writer's cache of its own documents: it saves the reads, and never decides the outcome."""

from __future__ import annotations

from collections import defaultdict
from functools import partial
from typing import Any

from pymongo import AsyncMongoClient, monitoring

from orders_contracts.read_models import ORDER_DETAILS, ORDER_SUMMARIES, collection_name
from projector.batch_writer import BatchWriter
from projector.envelope import Envelope
from projector.event_source import from_recorded, read_all_events, read_revisions
from tests.projector.projector_harness import Stores, connect, dump

ORDER_COLLECTIONS = {collection_name(ORDER_SUMMARIES, 1), collection_name(ORDER_DETAILS, 1)}


class FindCounter(monitoring.CommandListener):
    def __init__(self) -> None:
        self.order_finds = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find" and event.command["find"] in ORDER_COLLECTIONS:
            self.order_finds += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def one_long_order(stores: Stores) -> list[Envelope]:
    """The events of an order that went through at least four steps, in revision order."""
    by_stream: dict[str, list[Envelope]] = defaultdict(list)
    async for recorded in read_all_events(stores.eventstore):
        envelope = from_recorded(recorded)
        if envelope.stream_name.startswith("order-"):
            by_stream[envelope.stream_name].append(envelope)
    return next(events for events in by_stream.values() if len(events) >= 4)


def writer_on(stores: Stores, client: AsyncMongoClient[dict[str, Any]]) -> BatchWriter:
    return BatchWriter(client, stores.database, partial(read_revisions, stores.eventstore))


async def test_an_order_the_writer_just_wrote_is_not_read_back(
    history_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    counter = FindCounter()
    observed: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongo_uri, tz_aware=True, event_listeners=[counter]
    )
    async with connect(history_uri, mongo_uri, mongo_db_name) as stores:
        events = await one_long_order(stores)
        writer = writer_on(stores, observed)
        for envelope in events:
            await writer.write([envelope])
        summary = await stores.db[collection_name(ORDER_SUMMARIES, 1)].find_one(
            {"_id": events[0].stream_name.removeprefix("order-")}
        )
    await observed.close()

    assert counter.order_finds == 0
    assert summary is not None
    assert summary["revision"] == events[-1].revision


async def test_a_writer_whose_copy_went_stale_plans_again_from_fresh_reads(
    history_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    async with connect(history_uri, mongo_uri, mongo_db_name) as stores:
        events = await one_long_order(stores)
        first, other = stores.writer(), stores.writer()
        await first.write(events[:2])
        # Another replica moves the order on behind the first writer's back...
        await other.write(events[2:3])
        # ...so the first writer's copy is one revision old when the next delivery comes.
        changes = await first.write(events[2:4])
        actual = await dump(stores.db)
    async with connect(history_uri, mongo_uri, mongo_db_name + "_alone") as alone:
        await alone.writer().write(events[:4])
        expected = await dump(alone.db)

    assert changes.counts["duplicate"] == 1
    assert actual == expected
