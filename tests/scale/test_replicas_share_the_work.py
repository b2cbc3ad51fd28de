"""Projector replicas projecting at once, each into analytics shards of its own, end where one
projector replaying the store alone ends; readers see the sum of the shards, and the shards of
a replica that stops are folded into the unsharded documents."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import date
from functools import partial

import pytest
from pymongo import AsyncMongoClient

from bench.order_events import populate
from orders.v1 import query_service_pb2 as pb
from orders.v1 import types_pb2
from orders_contracts.read_models import SALES_BY_DAY
from orders_contracts.stored_sums import exact_sum
from projector.batch_writer import BatchWriter
from projector.event_source import eventstore_client, from_recorded, read_all_events, read_revisions
from projector.versions import active_version, ensure_collections, ensure_pointer
from tests.projector.projector_harness import Dump, clean_replay, dump
from tests.scale.replicas import (
    Doc,
    ScaleStores,
    run_command,
    shard_names,
    shards,
)

ORDERS = 150


@contextlib.asynccontextmanager
async def _projected_by_replicas(scale: ScaleStores, replicas: int) -> AsyncIterator[Dump]:
    """The store's history written while ``replicas`` project it, and its clean replay, once
    the live read models equal it; the replicas still run until the block ends, and have
    folded their shards when it has."""
    with scale.replicas(replicas):
        await populate(scale.eventstore_uri, ORDERS)
        replay = await scale.replay()
        await scale.caught_up(
            replay, f"the read models of {replicas} replicas equal to a clean replay"
        )
        yield replay


@pytest.mark.parametrize("replicas", [2, 4])
async def test_replicas_projecting_concurrently_end_equal_to_a_clean_single_replica_replay(
    replicas: int, scale: ScaleStores
) -> None:
    db = scale.db
    async with _projected_by_replicas(scale, replicas) as replay:
        # Each replica counted into its own shard, and none into the unsharded documents.
        names = await shard_names(db)
    assert None not in names
    assert len(names) >= 2, names
    # Stopped, each folded its shards into the unsharded documents; readers see the same.
    assert await shard_names(db) == {None}
    assert await dump(db) == replay
    scale.assert_verify_clean()


async def test_a_rebuild_gathers_the_replicas_shards_into_one_document_each(
    scale: ScaleStores,
) -> None:
    db = scale.db
    async with _projected_by_replicas(scale, 2) as replay:
        assert None not in await shard_names(db, 1)
        rebuilt = run_command("rebuild", scale.eventstore_uri, scale.mongo_uri, scale.database)
        assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
        version = await active_version(db)
        assert version == 2
        assert await dump(db, version) == replay
        by_day = await shards(db, SALES_BY_DAY, version)
        assert all(len(parts) == 1 for parts in by_day.values()), by_day
    # Stopping, the replicas folded the shards they had written before the switch into the
    # version they belong to, which is kept for a rollback.
    assert await shard_names(db, 1) == {None}
    assert await dump(db, 1) == replay
    assert await dump(db, 2) == replay


def _shard_totals(parts: dict[str, list[Doc]]) -> dict[tuple[str, date], tuple[int, int, int]]:
    """Per currency and day: orders, revenue and cancelled orders added over the shards."""
    totals: dict[tuple[str, date], tuple[int, int, int]] = {}
    for docs in parts.values():
        for doc in docs:
            key = (doc["currency"], date.fromisoformat(doc["day"]))
            orders, revenue, cancelled = totals.get(key, (0, 0, 0))
            totals[key] = (
                orders + doc["orders"],
                revenue + exact_sum(doc["revenue_minor"]),
                cancelled + doc["cancelled_orders"],
            )
    return totals


def _proto_date(day: date) -> types_pb2.Date:
    return types_pb2.Date(year=day.year, month=day.month, day=day.day)


async def test_the_sales_analytics_answer_equals_the_sum_over_the_shards(
    scale: ScaleStores,
) -> None:
    async with _projected_by_replicas(scale, 2) as replay:
        parts = await shards(scale.db, SALES_BY_DAY)
        expected = _shard_totals(parts)
        assert any(len(docs) > 1 for docs in parts.values()), "no day counted by two replicas"
        days = sorted(day for _, day in expected)
        async with scale.read_service() as service:
            answer = await service.stub.GetSalesAnalytics(
                pb.GetSalesAnalyticsRequest(
                    start_date=_proto_date(days[0]), end_date=_proto_date(days[-1])
                )
            )
    answered = {
        (sales.currency_code, date(entry.date.year, entry.date.month, entry.date.day)): (
            entry.totals.order_count,
            int(entry.totals.revenue.amount_minor_decimal),
            entry.totals.cancelled_order_count,
        )
        for sales in answer.currencies
        for entry in sales.daily
        if (sales.currency_code, date(entry.date.year, entry.date.month, entry.date.day))
        in expected
    }
    assert answered == expected
    replayed = {
        (doc["currency"], date.fromisoformat(doc["day"])): (
            doc["orders"],
            doc["revenue_minor"],
            doc["cancelled_orders"],
        )
        for doc in replay[SALES_BY_DAY]
    }
    assert answered == replayed


async def test_a_redelivered_event_is_not_counted_twice_in_the_shard_it_lands_in(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    await populate(fresh_eventstore_uri, 10)
    eventstore = eventstore_client(fresh_eventstore_uri)
    await eventstore.connect()
    mongo: AsyncMongoClient[Doc] = AsyncMongoClient(mongo_uri, tz_aware=True)
    try:
        events = [from_recorded(recorded) async for recorded in read_all_events(eventstore)]
        db = mongo[mongo_db_name]
        await ensure_pointer(db)
        await ensure_collections(db, 1)
        reader = partial(read_revisions, eventstore)
        first = BatchWriter(mongo, mongo_db_name, reader, shard="replica-a")
        second = BatchWriter(mongo, mongo_db_name, reader, shard="replica-b")
        half = len(events) // 2
        await first.write(events[:half])
        # Redelivered to another replica: the first half again, with the rest.
        again = await second.write(events)
        replay = await clean_replay(eventstore, mongo, f"{mongo_db_name}_replay")
        live = await dump(db)
        names = await shard_names(db)
    finally:
        await mongo.close()
        await eventstore.close()
    assert again.counts["duplicate"] == half
    assert names == {"replica-a", "replica-b"}
    assert live == replay
