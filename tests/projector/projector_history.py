"""A realistic, seeded order history, appended through the real client."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
PATHS: dict[str, tuple[str, ...]] = {
    "placed": (),
    "cancelled": ("cancel",),
    "paid": ("pay",),
    "paid_cancelled": ("pay", "cancel"),
    "shipped": ("pay", "ship"),
    "delivered": ("pay", "ship", "deliver"),
}
WEIGHTS = (1, 1, 1, 1, 2, 4)


@dataclass(frozen=True)
class Recorded:
    stream: str
    event: Event
    at: datetime


def generate(seed: int, *, customers: int = 30, orders: int = 240) -> list[Recorded]:
    """Every lifecycle path, two currencies, a couple of customers never registered."""
    rng = random.Random(seed)
    history: list[Recorded] = []
    people = []
    for n in range(customers):
        customer_id = f"c{n:03d}"
        name = f"Customer {n}"
        registered_at = START + timedelta(minutes=rng.randint(0, 600))
        if n >= 2:  # c000 and c001 order without ever registering
            history.append(
                Recorded(
                    customer_stream(customer_id),
                    CustomerRegistered(
                        customer_id, name, f"{customer_id}@example.com", registered_at
                    ),
                    registered_at,
                )
            )
        people.append((customer_id, name, registered_at, "USD" if n % 4 == 0 else "EUR"))
    for n in range(orders):
        customer_id, name, registered_at, currency = rng.choice(people)
        order_id = f"o{n:04d}"
        placed_at = registered_at + timedelta(
            minutes=rng.randint(1, 10 * 24 * 60), milliseconds=rng.randint(0, 999)
        )
        lines = tuple(
            OrderLine(f"sku-{rng.randint(1, 40)}", rng.randint(1, 4), rng.randint(100, 9000))
            for _ in range(rng.randint(1, 4))
        )
        total = sum(line.quantity * line.unit_price_minor for line in lines)
        stream = order_stream(order_id)
        at = placed_at
        history.append(
            Recorded(
                stream,
                OrderPlaced(order_id, customer_id, name, lines, currency, total, placed_at),
                at,
            )
        )
        steps = PATHS[rng.choices(list(PATHS), WEIGHTS)[0]]
        for step in steps:
            at = at + timedelta(minutes=rng.randint(5, 3000))
            event: Event
            if step == "pay":
                event = PaymentProcessed(order_id, f"p{n:04d}", total, currency, "card", at)
            elif step == "ship":
                event = OrderShipped(order_id, "DHL", f"TRK{n:06d}", at)
            elif step == "deliver":
                event = OrderDelivered(order_id, at)
            else:
                event = OrderCancelled(order_id, rng.choice(["changed mind", "too slow"]), at)
            history.append(Recorded(stream, event, at))
    history.sort(key=lambda r: r.at)
    return history


def new_event(event: Event, *, schema_version: int = 1, type_name: str | None = None) -> NewEvent:
    name, data = encode_event(event)
    metadata = EventMetadata(
        command_id=str(uuid.uuid4()),
        correlation_id=str(uuid.uuid4()),
        causation_id=str(uuid.uuid4()),
        schema_version=schema_version,
    )
    return NewEvent(type=type_name or name, data=data, metadata=encode_metadata(metadata))


async def append_history(
    client: AsyncKurrentDBClient, history: Sequence[Recorded], *, concurrency: int = 8
) -> None:
    """Each stream in order; streams interleaved, as concurrent writers would leave them."""
    by_stream: dict[str, list[Event]] = defaultdict(list)
    for recorded in history:
        by_stream[recorded.stream].append(recorded.event)
    limit = asyncio.Semaphore(concurrency)

    async def write(stream: str, events: list[Event]) -> None:
        async with limit:
            for event in events:
                await client.append_to_stream(
                    stream, current_version=StreamState.ANY, events=[new_event(event)]
                )

    await asyncio.gather(*(write(s, e) for s, e in by_stream.items()))
