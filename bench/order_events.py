"""Realistic order lifecycles written straight into the event store, fast.

The projector and query scenarios need a store with many orders in it; going through the
write service would benchmark the write service. Each customer and each order is one append of
its whole history (encoded by the contract's codec), many appends in flight at once.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Final

from kurrentdbclient import AsyncKurrentDBClient, NewEvent, StreamState

from orders_contracts.codec import EventMetadata, encode_event, encode_metadata
from orders_contracts.events import (
    CustomerRegistered,
    Event,
    OrderCancelled,
    OrderDelivered,
    OrderLine,
    OrderPlaced,
    OrderShipped,
    PaymentProcessed,
)
from orders_contracts.streams import customer_stream, order_stream

ORDERS_PER_CUSTOMER: Final = 10
IN_FLIGHT: Final = 48
_EPOCH: Final = datetime(2026, 1, 1, tzinfo=UTC)


def customer_history(customer_id: str) -> list[Event]:
    return [
        CustomerRegistered(
            customer_id=customer_id,
            name=f"Customer {customer_id}",
            email=f"{customer_id}@example.com",
            registered_at=_EPOCH,
        )
    ]


def order_history(order_id: str, customer_id: str, rng: random.Random) -> list[Event]:
    """Placed, then paid, shipped and delivered; one order in ten is cancelled instead."""
    placed_at = _EPOCH + timedelta(minutes=rng.randrange(60 * 24 * 90))
    lines = tuple(
        OrderLine(
            sku=f"sku-{rng.randrange(500)}",
            quantity=rng.randint(1, 5),
            unit_price_minor=rng.randrange(100, 20_000),
        )
        for _ in range(rng.randint(1, 4))
    )
    total = sum(line.quantity * line.unit_price_minor for line in lines)
    events: list[Event] = [
        OrderPlaced(
            order_id=order_id,
            customer_id=customer_id,
            customer_name=f"Customer {customer_id}",
            lines=lines,
            currency="EUR",
            total_minor=total,
            placed_at=placed_at,
        )
    ]
    if rng.random() < 0.1:
        reason = "changed my mind"
        events.append(OrderCancelled(order_id, reason, placed_at + timedelta(minutes=5)))
        return events
    events += [
        PaymentProcessed(
            order_id, f"pay-{order_id}", total, "EUR", "card", placed_at + timedelta(minutes=1)
        ),
        OrderShipped(order_id, "DHL", f"TRK{order_id}", placed_at + timedelta(hours=6)),
        OrderDelivered(order_id, placed_at + timedelta(days=2)),
    ]
    return events


def records(events: list[Event]) -> list[NewEvent]:
    command_id = uuid.uuid4().hex
    metadata = encode_metadata(EventMetadata(command_id, command_id, command_id))
    encoded = (encode_event(event) for event in events)
    return [
        NewEvent(type=name, data=data, metadata=metadata, content_type="application/json")
        for name, data in encoded
    ]


def histories(orders: int, seed: int = 7) -> Iterator[tuple[str, list[Event]]]:
    """(stream name, events) of every customer, then every order, about 3.8 events per order."""
    rng = random.Random(seed)
    customers = [f"c{index:06d}" for index in range(max(1, orders // ORDERS_PER_CUSTOMER))]
    for customer_id in customers:
        yield customer_stream(customer_id), customer_history(customer_id)
    for index in range(orders):
        order_id = f"o{index:07d}"
        yield order_stream(order_id), order_history(order_id, rng.choice(customers), rng)


async def populate(uri: str, orders: int) -> tuple[int, list[str], list[str]]:
    """Write the histories; (events written, customer ids, order ids)."""
    client = AsyncKurrentDBClient(uri)
    await client.connect()
    work = histories(orders)
    written = 0
    customers: list[str] = []
    order_ids: list[str] = []

    async def appender() -> None:
        nonlocal written
        for stream, events in work:
            kind, _, aggregate_id = stream.partition("-")
            (customers if kind == "customer" else order_ids).append(aggregate_id)
            await client.append_to_stream(
                stream, events=records(events), current_version=StreamState.NO_STREAM
            )
            written += len(events)

    try:
        await asyncio.gather(*(appender() for _ in range(IN_FLIGHT)))
    finally:
        await client.close()
    return written, customers, order_ids
