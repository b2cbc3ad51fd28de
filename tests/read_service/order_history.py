"""Event histories for read-service tests: domain events with stream revisions and positions."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp

from orders_contracts.codec import encode_event
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
from projector.envelope import Envelope, open_envelope

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Token:
    stream: str
    revision: int
    commit_position: int


@dataclass
class History:
    """Appends events the way the event store numbers them: per-stream revision, global position."""

    streams: dict[str, list[Envelope]] = field(default_factory=dict)
    position: int = 0
    unprojected: list[Envelope] = field(default_factory=list)

    def append(self, stream: str, event: Event) -> Token:
        self.position += 100
        revision = len(self.streams.get(stream, []))
        type_name, data = encode_event(event)
        envelope = open_envelope(
            stream_name=stream,
            revision=revision,
            commit_position=self.position,
            event_id=uuid.uuid4(),
            event_type=type_name,
            data=data,
            metadata=b"",
        )
        self.streams.setdefault(stream, []).append(envelope)
        self.unprojected.append(envelope)
        return Token(stream, revision, self.position)

    def take_unprojected(self) -> list[Envelope]:
        taken, self.unprojected = self.unprojected, []
        return taken

    def events(self) -> list[Event]:
        return [e.event for es in self.streams.values() for e in es if e.event is not None]

    def register(self, customer_id: str, name: str, at: datetime = START) -> Token:
        return self.append(
            customer_stream(customer_id),
            CustomerRegistered(customer_id, name, f"{customer_id}@example.com", at),
        )

    def place(
        self,
        order_id: str,
        customer_id: str,
        at: datetime,
        *,
        lines: tuple[OrderLine, ...] = (OrderLine("SKU-1", 2, 1250),),
        currency: str = "EUR",
        customer_name: str = "Ada",
    ) -> Token:
        total = sum(line.quantity * line.unit_price_minor for line in lines)
        event = OrderPlaced(order_id, customer_id, customer_name, lines, currency, total, at)
        return self.append(order_stream(order_id), event)

    def pay(self, order_id: str, amount: int, currency: str, at: datetime) -> Token:
        event = PaymentProcessed(order_id, f"pay-{order_id}", amount, currency, "card", at)
        return self.append(order_stream(order_id), event)

    def ship(self, order_id: str, at: datetime) -> Token:
        return self.append(order_stream(order_id), OrderShipped(order_id, "DHL", "TRK1", at))

    def deliver(self, order_id: str, at: datetime) -> Token:
        return self.append(order_stream(order_id), OrderDelivered(order_id, at))

    def cancel(self, order_id: str, at: datetime) -> Token:
        return self.append(order_stream(order_id), OrderCancelled(order_id, "changed mind", at))


def random_lifecycles(
    history: History, customers: list[str], orders: int, seed: int, days: int = 5
) -> None:
    """Orders over `days` days in two currencies, each taken down a random lifecycle path."""
    rng = random.Random(seed)
    for index in range(orders):
        customer_id = rng.choice(customers)
        placed = START + timedelta(minutes=rng.randrange(days * 24 * 60), seconds=index % 60)
        currency = rng.choice(("EUR", "EUR", "USD"))
        lines = tuple(
            OrderLine(f"SKU-{rng.randrange(9)}", rng.randrange(1, 4), rng.randrange(100, 9000))
            for _ in range(rng.randrange(1, 4))
        )
        order_id = f"o-{seed}-{index:04d}"
        history.place(order_id, customer_id, placed, lines=lines, currency=currency)
        total = sum(line.quantity * line.unit_price_minor for line in lines)
        path = rng.choice(("placed", "paid", "shipped", "delivered", "cancel", "pay-cancel"))
        later = placed + timedelta(hours=1)
        if path in ("paid", "shipped", "delivered", "pay-cancel"):
            history.pay(order_id, total, currency, later)
        if path in ("shipped", "delivered"):
            history.ship(order_id, later + timedelta(hours=1))
        if path == "delivered":
            history.deliver(order_id, later + timedelta(hours=2))
        if path in ("cancel", "pay-cancel"):
            history.cancel(order_id, later + timedelta(hours=3))


def place_customer_orders(history: History, customer_id: str, count: int, prefix: str) -> None:
    for index in range(count):
        # Three orders share each second, so the order id has to break ties.
        history.place(f"{prefix}-{index:03d}", customer_id, START + timedelta(seconds=index // 3))


def final_status(history: History) -> dict[str, tuple[str, datetime]]:
    """Each order's current status and creation time, folded from the events by the test."""
    status: dict[str, tuple[str, datetime]] = {}
    for event in history.events():
        match event:
            case OrderPlaced():
                status[event.order_id] = ("PLACED", event.placed_at)
            case PaymentProcessed():
                status[event.order_id] = ("PAID", status[event.order_id][1])
            case OrderShipped():
                status[event.order_id] = ("SHIPPED", status[event.order_id][1])
            case OrderDelivered():
                status[event.order_id] = ("DELIVERED", status[event.order_id][1])
            case OrderCancelled():
                status[event.order_id] = ("CANCELLED", status[event.order_id][1])
    return status


def timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp
