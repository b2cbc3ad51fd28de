"""Rebuild into a new version while the old one serves, switch without a failed query, roll back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from kurrentdbclient import StreamState

from orders_contracts.events import OrderLine, OrderPlaced
from orders_contracts.read_models import ORDER_SUMMARIES, collection_name
from orders_contracts.streams import order_stream
from projector import admin
from projector.rebuild import catch_up, rebuild
from projector.subscription_group import GroupSettings
from projector.versions import (
    active_version,
    ensure_collections,
    existing_versions,
    read_pointer,
)
from tests.projector.projector_harness import (
    Stores,
    clean_replay,
    connect,
    dump,
    running_projector,
    status,
)
from tests.projector.projector_history import Recorded, append_history, new_event
from tests.waiting import wait_until

START_LATE = datetime(2026, 4, 1, tzinfo=UTC)


async def serve_queries(stores: Stores, stop: asyncio.Event, failures: list[str]) -> int:
    """What the read service does: resolve the pointer, then query that version."""
    done = 0
    while not stop.is_set():
        version = await active_version(stores.db)
        summaries = stores.db[collection_name(ORDER_SUMMARIES, version)]
        order = await summaries.find_one({"_id": "o0000"})
        listing = await summaries.find({"customer_id": "c005"}).sort("created_at", -1).to_list(None)
        if order is None or not listing:
            failures.append(f"v{version}: order {order is not None}, listing {len(listing)}")
        done += 1
        await asyncio.sleep(0.01)
    return done


async def place(stores: Stores, n: int) -> None:
    order = OrderPlaced(
        f"late{n}", "c005", "Late", (OrderLine("sku-9", 1, 100),), "EUR", 100, START_LATE
    )
    await stores.eventstore.append_to_stream(
        order_stream(order.order_id), current_version=StreamState.ANY, events=[new_event(order)]
    )


@pytest.mark.timeout(120)
async def test_rebuild_switches_readers_to_identical_read_models_without_a_failed_query(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str, history: list[Recorded]
) -> None:
    async with connect(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stores:
        await append_history(stores.eventstore, history)
        # A finished order that still changes: the rebuild wrote it early and must replace it.
        delivered = next(
            r.stream for r in reversed(history) if type(r.event).__name__ == "OrderDelivered"
        )
        unknown = new_event(OrderPlaced("x", "x", "x", (), "EUR", 0, START_LATE), type_name="Gift")
        await stores.eventstore.append_to_stream(
            delivered, current_version=StreamState.ANY, events=[unknown]
        )
        async with running_projector(stores, GroupSettings(name="live")):

            async def v1_caught_up() -> bool:
                applied = (await status(stores.db)).get("events_applied", 0)
                return int(applied) >= len(history)

            await wait_until(v1_caught_up, "version 1 caught up")
            stop, failures = asyncio.Event(), list[str]()
            queries = asyncio.create_task(serve_queries(stores, stop, failures))
            rebuilding = asyncio.create_task(
                rebuild(stores.eventstore, stores.writer, stores.db, chunk=100)
            )
            for n in range(3):
                await place(stores, n)  # written while the rebuild runs
            version = await rebuilding
            await place(stores, 3)  # after the switch: the live projector writes version 2

            async def late_orders_in_v2() -> bool:
                late = {"_id": {"$regex": "^late"}}
                return await stores.db["order_summaries_v2"].count_documents(late) == 4

            await wait_until(late_orders_in_v2, "orders placed during the rebuild in v2")
            stop.set()
            served = await queries
            pointer = await read_pointer(stores.db)
            rebuilt = await dump(stores.db, 2)
            expected = await clean_replay(stores.eventstore, stores.mongo, mongo_db_name + "_c")

            assert version == 2
            assert failures == []
            assert served > 10
            assert pointer is not None
            assert (pointer["version"], pointer.get("previous_version")) == (2, 1)
            assert rebuilt == expected

            assert await admin.rollback(stores.eventstore, stores.writer, stores.db, grace=0.1) == 1
            assert await dump(stores.db, 1) == expected
            with pytest.raises(admin.VersionError):
                await admin.drop(stores.db, 1)
            await admin.drop(stores.db, 2)
            assert await existing_versions(stores.db) == [1]


@pytest.mark.timeout(120)
async def test_events_the_rebuild_cannot_read_or_write_are_left_out_and_the_rebuild_goes_on(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    async with connect(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stores:
        await ensure_collections(stores.db, 1)
        # Another writer put order B's placement into order A's stream.
        wrong = OrderPlaced(
            "B", "c005", "Late", (OrderLine("sku-9", 1, 100),), "EUR", 100, START_LATE
        )
        await stores.eventstore.append_to_stream(
            order_stream("A"), current_version=StreamState.ANY, events=[new_event(wrong)]
        )
        for n in range(5):
            await place(stores, n)
        # It decodes, but its total fits no BSON integer: every write of its summary fails.
        huge = OrderPlaced(
            "C", "c6", "Huge", (OrderLine("s", 1, 2**63 + 4),), "GBP", 2**63 + 4, START_LATE
        )
        await stores.eventstore.append_to_stream(
            order_stream("C"), current_version=StreamState.ANY, events=[new_event(huge)]
        )
        await place(stores, 5)
        head = await stores.eventstore.get_commit_position()
        position = await catch_up(stores.eventstore, stores.writer(1), stores.db, 1, after=0)
        placed = await stores.db[collection_name(ORDER_SUMMARIES, 1)].distinct("_id")
        progress = await status(stores.db)

    assert position == head
    assert sorted(placed) == [f"late{n}" for n in range(6)]
    assert progress["events_parked"] == 2
