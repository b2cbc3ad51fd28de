"""A stream holding an event the write service cannot fold answers DATA_LOSS, never INTERNAL.

Such events are appended here with the event store client directly, as another writer would.
"""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
from kurrentdbclient import NewEvent, StreamState

from orders_contracts.codec import encode_event
from orders_contracts.events import CustomerRegistered, Event, OrderPlaced, PaymentProcessed
from tests.rich_errors import RichError
from tests.write_service.harness import WriteService
from tests.write_service.rpc_calls import (
    ORDER_TOTAL,
    failure,
    new_id,
    pay,
    place,
    register,
    ship,
)

AT = datetime(2026, 1, 2, tzinfo=UTC)


def raw(event_type: str, data: bytes) -> NewEvent:
    return NewEvent(type=event_type, data=data, content_type="application/json")


def stored(event: Event) -> NewEvent:
    return raw(*encode_event(event))


def placed(order_id: str, customer_id: str) -> OrderPlaced:
    return OrderPlaced(
        order_id=order_id,
        customer_id=customer_id,
        customer_name="Ada",
        lines=(),
        currency="EUR",
        total_minor=0,
        placed_at=AT,
    )


async def append(service: WriteService, stream: str, *events: NewEvent) -> None:
    await service.store.append_to_stream(stream, current_version=StreamState.ANY, events=events)


def assert_unreadable(error: RichError, stream: str, revision: int, event_type: str) -> None:
    assert (error.code, error.reason, error.domain) == (
        grpc.StatusCode.DATA_LOSS,
        "STREAM_UNREADABLE",
        "orders.v1",
    )
    assert error.metadata == {
        "stream": stream,
        "revision": str(revision),
        "event_type": event_type,
    }


async def test_an_event_that_does_not_decode_makes_its_order_unreadable_for_every_command(
    write_service: WriteService,
) -> None:
    customer, order = new_id("c"), new_id("o")
    await write_service.commands.RegisterCustomer(register(customer))
    await write_service.commands.PlaceOrder(place(order, customer))
    await append(write_service, f"order-{order}", raw("PaymentProcessed", b"{not json"))

    for call in (
        write_service.commands.ProcessPayment(pay(order, ORDER_TOTAL)),
        write_service.commands.ShipOrder(ship(order)),
        write_service.commands.ProcessPayment(pay(order, ORDER_TOTAL)),
    ):
        assert_unreadable(await failure(call), f"order-{order}", 1, "PaymentProcessed")
    assert len(await write_service.events(f"order-{order}")) == 2


async def test_an_event_type_this_service_does_not_know_makes_the_stream_unreadable(
    write_service: WriteService,
) -> None:
    order = new_id("o")
    await append(write_service, f"order-{order}", raw("OrderTeleported", b"{}"))

    error = await failure(write_service.commands.ShipOrder(ship(order)))

    assert_unreadable(error, f"order-{order}", 0, "OrderTeleported")


async def test_an_event_of_another_order_in_an_order_stream_makes_it_unreadable(
    write_service: WriteService,
) -> None:
    order = new_id("o")
    await append(write_service, f"order-{order}", stored(placed("someone-else", "c-1")))

    error = await failure(write_service.commands.ShipOrder(ship(order)))

    assert_unreadable(error, f"order-{order}", 0, "OrderPlaced")


async def test_a_customer_event_in_an_order_stream_makes_it_unreadable(
    write_service: WriteService,
) -> None:
    order = new_id("o")
    registered = CustomerRegistered(
        customer_id=order, name="Ada", email="ada@example.com", registered_at=AT
    )
    await append(write_service, f"order-{order}", stored(registered))

    error = await failure(write_service.commands.PlaceOrder(place(order, "c-1")))

    assert_unreadable(error, f"order-{order}", 0, "CustomerRegistered")


async def test_an_order_stream_that_does_not_start_with_its_placement_is_unreadable(
    write_service: WriteService,
) -> None:
    order = new_id("o")
    paid = PaymentProcessed(
        order_id=order,
        payment_id="p-1",
        amount_minor=100,
        currency="EUR",
        method="card",
        processed_at=AT,
    )
    await append(write_service, f"order-{order}", stored(paid))

    error = await failure(write_service.commands.ShipOrder(ship(order)))

    assert_unreadable(error, f"order-{order}", 0, "PaymentProcessed")


async def test_an_order_placed_twice_in_one_stream_is_unreadable(
    write_service: WriteService,
) -> None:
    order = new_id("o")
    await append(
        write_service, f"order-{order}", stored(placed(order, "c-1")), stored(placed(order, "c-1"))
    )

    error = await failure(write_service.commands.ShipOrder(ship(order)))

    assert_unreadable(error, f"order-{order}", 1, "OrderPlaced")


async def test_an_unreadable_customer_stream_refuses_orders_for_that_customer(
    write_service: WriteService,
) -> None:
    customer, order = new_id("c"), new_id("o")
    await append(write_service, f"customer-{customer}", raw("CustomerRegistered", b"[]"))

    error = await failure(write_service.commands.PlaceOrder(place(order, customer)))

    assert_unreadable(error, f"customer-{customer}", 0, "CustomerRegistered")
    assert await write_service.events(f"order-{order}") == ()
