"""Events of a few orders, appended as the write service would."""

from __future__ import annotations

from datetime import UTC, datetime

from kurrentdbclient import AsyncKurrentDBClient, StreamState

from orders_contracts.events import OrderLine, OrderPlaced, PaymentProcessed
from orders_contracts.streams import order_stream
from tests.projector.projector_history import new_event

AT = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


async def place(eventstore: AsyncKurrentDBClient, order_id: str) -> None:
    line = OrderLine("sku-1", 2, 495)
    event = OrderPlaced(order_id, "c1", "Ada", (line,), "EUR", 990, AT)
    await eventstore.append_to_stream(
        order_stream(order_id), current_version=StreamState.NO_STREAM, events=[new_event(event)]
    )


async def pay(eventstore: AsyncKurrentDBClient, order_id: str) -> None:
    event = PaymentProcessed(order_id, f"pay-{order_id}", 990, "EUR", "card", AT)
    await eventstore.append_to_stream(
        order_stream(order_id), current_version=0, events=[new_event(event)]
    )
