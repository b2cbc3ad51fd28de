"""An event that cannot be projected is parked with its reason, and every other order flows:
one bad event written by another writer never stops the projection, before or after a restart."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from kurrentdbclient import NewEvent, StreamState
from structlog.testing import capture_logs

from orders_contracts.events import OrderLine, OrderPlaced, PaymentProcessed
from orders_contracts.streams import order_stream
from projector.subscription_group import GroupSettings
from tests.projector.projector_harness import Stores, connect, running_projector, status
from tests.projector.projector_history import new_event
from tests.waiting import wait_until

AT = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
INT64_MAX = 2**63 - 1


def placed(
    order_id: str, total: int = 990, currency: str = "EUR", customer: str = "c1"
) -> NewEvent:
    line = OrderLine("sku-1", 1, total)
    return new_event(OrderPlaced(order_id, customer, "Ada", (line,), currency, total, AT))


def paid(order_id: str, total: int = 990, currency: str = "EUR") -> NewEvent:
    return new_event(PaymentProcessed(order_id, f"p-{order_id}", total, currency, "card", AT))


async def append(stores: Stores, order_id: str, *events: NewEvent) -> None:
    await stores.eventstore.append_to_stream(
        order_stream(order_id), current_version=StreamState.ANY, events=list(events)
    )


async def append_other_orders(stores: Stores, prefix: str, orders: int = 50) -> None:
    """A hundred events: each order placed, then paid, in USD (no counter near any limit)."""
    for n in range(orders):
        order_id = f"{prefix}{n:02d}"
        await append(stores, order_id, placed(order_id, currency="USD", customer=f"u{n}"))
    for n in range(orders):
        order_id = f"{prefix}{n:02d}"
        await append(stores, order_id, paid(order_id, currency="USD"))


async def wait_until_paid(stores: Stores, prefix: str, orders: int = 50) -> None:
    summaries = stores.db["order_summaries_v1"]

    async def all_paid() -> bool:
        query = {"_id": {"$regex": f"^{prefix}"}, "status": "PAID"}
        return await summaries.count_documents(query) == orders

    await wait_until(all_paid, f"every {prefix} order paid")


async def wait_until_parked(stores: Stores, count: int) -> None:
    async def parked() -> bool:
        return int((await status(stores.db)).get("events_parked", 0)) >= count

    await wait_until(parked, f"{count} events parked")


@contextmanager
def parked_log() -> Iterator[list[dict[str, Any]]]:
    """The projector's "event parked" log entries, as they are logged."""
    with capture_logs() as logs:
        parked: list[dict[str, Any]] = []
        yield parked
        parked.extend(dict(entry) for entry in logs if entry["event"] == "event parked")


GROUP = GroupSettings(name="faults", max_retry_count=2, message_timeout=2.0)


@pytest.mark.timeout(240)
async def test_an_order_placed_that_names_another_order_is_parked_while_a_hundred_events_flow(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    async with connect(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stores:
        # Another writer put order B's placement into order A's stream, before B's own.
        await append(stores, "A", placed("B"))
        await append(stores, "B", placed("B", total=1500))
        with parked_log() as parked:
            async with running_projector(stores, GROUP):
                await append_other_orders(stores, "first")
                await wait_until_paid(stores, "first")
                await wait_until_parked(stores, 1)
        summaries = {d["_id"]: d async for d in stores.db["order_summaries_v1"].find({})}

        # A restart finds the stream as it is: A's next event cannot be applied either, and it
        # is parked naming the revision it waits for, while other orders flow again.
        await append(stores, "A", paid("A"))
        with parked_log() as parked_after_restart:
            async with running_projector(stores, GROUP):
                await append_other_orders(stores, "second")
                await wait_until_paid(stores, "second")
                await wait_until_parked(stores, 2)
        progress = await status(stores.db)
        order_a = await stores.db["order_summaries_v1"].find_one({"_id": "A"})

    assert "A" not in summaries
    assert summaries["B"]["total"]["amount_minor"] == 1500
    assert [(p["stream"], p["revision"], p["event_type"]) for p in parked] == [
        ("order-A", 0, "OrderPlaced")
    ]
    assert "order B" in parked[0]["reason"]
    assert [(p["stream"], p["revision"]) for p in parked_after_restart] == [("order-A", 1)]
    assert "order-A@0" in parked_after_restart[0]["reason"]
    assert order_a is None
    assert progress["events_parked"] == 2


@pytest.mark.timeout(240)
async def test_an_order_whose_amount_no_64_bit_field_can_store_is_parked_while_others_flow(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    async with connect(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stores:
        with parked_log() as parked:
            async with running_projector(stores, GROUP):
                # Another writer's event: it decodes, but its total (above the write service's
                # limits) fits no BSON integer, so every write of its order summary fails.
                await append(stores, "more", placed("more", INT64_MAX + 5, "GBP", "g2"))
                await append_other_orders(stores, "other")
                await wait_until_paid(stores, "other")
                await wait_until_parked(stores, 1)
        progress = await status(stores.db)
        more = await stores.db["order_summaries_v1"].find_one({"_id": "more"})

    assert more is None
    assert [(p["stream"], p["revision"], p["event_type"]) for p in parked] == [
        ("order-more", 0, "OrderPlaced")
    ]
    assert progress["events_parked"] == 1
