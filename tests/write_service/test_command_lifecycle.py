"""The happy paths of every RPC, checked on the responses and on the events in the store."""

from __future__ import annotations

import msgspec

from orders.v1 import types_pb2
from orders_contracts.codec import decode_event, decode_metadata
from orders_contracts.events import OrderPlaced
from tests.write_service.harness import WriteService
from tests.write_service.rpc_calls import (
    ORDER_TOTAL,
    cancel,
    deliver,
    new_id,
    pay,
    place,
    register,
    ship,
)


async def test_an_order_goes_from_placed_to_delivered_and_each_step_is_stored(
    write_service: WriteService,
) -> None:
    api, customer_id, order_id = write_service.commands, new_id("c"), new_id("o")
    headers = (("x-correlation-id", "corr-lifecycle-1"),)

    registered = await api.RegisterCustomer(register(customer_id), metadata=headers)
    placed = await api.PlaceOrder(place(order_id, customer_id), metadata=headers)
    paid = await api.ProcessPayment(pay(order_id), metadata=headers)
    shipped = await api.ShipOrder(ship(order_id), metadata=headers)
    delivered = await api.DeliverOrder(deliver(order_id), metadata=headers)

    assert registered.customer_id == customer_id
    assert registered.consistency_token.stream == f"customer-{customer_id}"
    assert placed.order_id == order_id
    assert placed.status == types_pb2.ORDER_STATUS_PLACED
    assert (placed.total.currency_code, placed.total.amount_minor) == ("EUR", ORDER_TOTAL)
    assert paid.status == types_pb2.ORDER_STATUS_PAID
    assert paid.payment_id
    assert shipped.status == types_pb2.ORDER_STATUS_SHIPPED
    assert delivered.status == types_pb2.ORDER_STATUS_DELIVERED
    tokens = [r.consistency_token for r in (placed, paid, shipped, delivered)]
    assert [t.stream for t in tokens] == [f"order-{order_id}"] * 4
    assert [t.revision for t in tokens] == [0, 1, 2, 3]
    positions = [t.commit_position for t in tokens]
    assert positions == sorted(positions)
    assert len(set(positions)) == 4

    stored = await write_service.events(f"order-{order_id}")
    assert [e.type for e in stored] == [
        "OrderPlaced",
        "PaymentProcessed",
        "OrderShipped",
        "OrderDelivered",
    ]
    assert [e.commit_position for e in stored] == positions
    order_placed = decode_event(stored[0].type, stored[0].data)
    assert isinstance(order_placed, OrderPlaced)
    assert order_placed.customer_name == "Ada Lovelace"
    assert order_placed.total_minor == ORDER_TOTAL
    for event in stored:
        metadata = decode_metadata(event.metadata)
        assert metadata.correlation_id == "corr-lifecycle-1"
        assert metadata.causation_id == metadata.command_id
        assert metadata.schema_version == 1
        assert "payload_hash" in msgspec.json.decode(event.metadata)


async def test_cancelling_a_paid_order_refunds_it_and_an_unpaid_one_stays_unpaid(
    write_service: WriteService,
) -> None:
    api, customer_id = write_service.commands, new_id("c")
    paid_order, unpaid_order = new_id("o"), new_id("o")
    await api.RegisterCustomer(register(customer_id))
    await api.PlaceOrder(place(paid_order, customer_id))
    await api.PlaceOrder(place(unpaid_order, customer_id))
    await api.ProcessPayment(pay(paid_order))

    refunded = await api.CancelOrder(cancel(paid_order))
    unpaid = await api.CancelOrder(cancel(unpaid_order))

    assert refunded.status == unpaid.status == types_pb2.ORDER_STATUS_CANCELLED
    assert refunded.payment_status == types_pb2.PAYMENT_STATUS_REFUNDED
    assert unpaid.payment_status == types_pb2.PAYMENT_STATUS_UNPAID
    assert [e.type for e in await write_service.events(f"order-{paid_order}")] == [
        "OrderPlaced",
        "PaymentProcessed",
        "OrderCancelled",
    ]


async def test_a_correlation_id_is_made_up_when_the_caller_sends_none(
    write_service: WriteService,
) -> None:
    customer_id = new_id("c")
    await write_service.commands.RegisterCustomer(register(customer_id))
    (event,) = await write_service.events(f"customer-{customer_id}")
    assert len(decode_metadata(event.metadata).correlation_id) >= 16


async def test_ids_left_empty_are_assigned_by_the_server(write_service: WriteService) -> None:
    api = write_service.commands
    registered = await api.RegisterCustomer(register(""))
    placed = await api.PlaceOrder(place("", registered.customer_id))
    paid = await api.ProcessPayment(pay(placed.order_id))
    assert registered.customer_id
    assert placed.order_id
    assert paid.payment_id
    assert placed.consistency_token.stream == f"order-{placed.order_id}"
