"""The projection of CustomerForgotten (pure): the customer document keeps nothing of the
customer's own, whatever the order of registration, orders and forgetting."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from msgspec.structs import replace

from orders_contracts.codec import encode_event
from orders_contracts.events import (
    CustomerForgotten,
    CustomerRegistered,
    Event,
    OrderLine,
    OrderPlaced,
)
from orders_contracts.streams import customer_stream, order_stream
from projector.envelope import Envelope, open_envelope
from projector.memory_model import MemoryModel

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def envelopes(stream: str, events: Sequence[Event], first_position: int) -> list[Envelope]:
    return [
        open_envelope(
            stream_name=stream,
            revision=revision,
            commit_position=first_position + revision,
            event_id=uuid.uuid4(),
            event_type=encode_event(event)[0],
            data=encode_event(event)[1],
            metadata=b"",
        )
        for revision, event in enumerate(events)
    ]


REGISTERED = CustomerRegistered(
    customer_id="c1", name="pd1:sealed-name", email="pd1:sealed-mail", registered_at=AT
)
FORGOTTEN = CustomerForgotten(customer_id="c1", forgotten_at=AT)
PLACED = OrderPlaced(
    order_id="o1",
    customer_id="c1",
    customer_name="pd1:sealed-name",
    lines=(OrderLine("sku-1", 1, 100),),
    currency="EUR",
    total_minor=100,
    placed_at=AT,
)


def test_forgetting_empties_the_customer_and_keeps_its_counters() -> None:
    model = MemoryModel()
    model.apply(envelopes(customer_stream("c1"), [REGISTERED, FORGOTTEN], 1))
    model.apply(envelopes(order_stream("o1"), [PLACED], 10))
    customer = model.customers["c1"]
    assert customer.forgotten
    assert (customer.name, customer.email) == ("", None)
    assert customer.registered
    assert customer.order_count == 1
    assert customer.revision == 1


def test_an_order_projected_after_the_forgetting_does_not_bring_the_name_back() -> None:
    model = MemoryModel()
    model.apply(envelopes(order_stream("o1"), [PLACED], 10))
    assert model.customers["c1"].name == "pd1:sealed-name"
    model.apply(envelopes(customer_stream("c1"), [REGISTERED, FORGOTTEN], 11))
    later = replace(PLACED, order_id="o2")
    model.apply(envelopes(order_stream("o2"), [later], 20))
    assert (model.customers["c1"].name, model.customers["c1"].email) == ("", None)
    assert model.customers["c1"].order_count == 2
