"""Free orders through the real write service: placed and paid with exactly 0, nothing else."""

from __future__ import annotations

import grpc

from orders.v1 import command_service_pb2 as pb
from orders.v1 import types_pb2
from orders_contracts.codec import decode_event, decode_metadata
from orders_contracts.events import OrderPlaced, PaymentProcessed
from tests.write_service.harness import WriteService
from tests.write_service.rpc_calls import failure, line, new_id, pay, register
from write_service.validation import MAX_LINES, MAX_QUANTITY, MAX_UNIT_PRICE_MINOR


async def _place(
    service: WriteService, lines: list[types_pb2.OrderLine]
) -> tuple[str, pb.PlaceOrderResponse]:
    customer_id, order_id = new_id("c"), new_id("o")
    await service.commands.RegisterCustomer(register(customer_id))
    placed = await service.commands.PlaceOrder(
        pb.PlaceOrderRequest(
            idempotency_key=new_id("key"), order_id=order_id, customer_id=customer_id, lines=lines
        )
    )
    return order_id, placed


async def test_a_free_order_is_placed_with_a_zero_total_and_paid_with_zero(
    write_service: WriteService,
) -> None:
    order_id, placed = await _place(write_service, [line("GIFT-1", 2, 0), line("GIFT-2", 1, 0)])
    assert (placed.total.amount_minor, placed.total.amount_minor_decimal) == (0, "0")

    paid = await write_service.commands.ProcessPayment(pay(order_id, 0))

    assert paid.status == types_pb2.ORDER_STATUS_PAID
    placed_event, paid_event = [
        decode_event(e.type, e.data, decode_metadata(e.metadata).schema_version)
        for e in await write_service.events(f"order-{order_id}")
    ]
    assert isinstance(placed_event, OrderPlaced)
    assert placed_event.total_minor == 0
    assert isinstance(paid_event, PaymentProcessed)
    assert paid_event.amount_minor == 0


async def test_paying_a_free_order_one_minor_unit_is_refused_on_the_amount(
    write_service: WriteService,
) -> None:
    order_id, _ = await _place(write_service, [line("GIFT-1", 1, 0)])

    refused = await failure(write_service.commands.ProcessPayment(pay(order_id, 1)))

    assert refused.code == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.fields == ["amount"]
    assert len(await write_service.events(f"order-{order_id}")) == 1


async def test_paying_zero_for_an_order_that_costs_something_is_refused_on_the_amount(
    write_service: WriteService,
) -> None:
    order_id, _ = await _place(write_service, [line("BOOK-1", 1, 1250)])

    refused = await failure(write_service.commands.ProcessPayment(pay(order_id, 0)))

    assert refused.code == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.fields == ["amount"]
    assert len(await write_service.events(f"order-{order_id}")) == 1


async def test_the_largest_order_allowed_answers_its_exact_total_in_both_money_fields(
    write_service: WriteService,
) -> None:
    lines = [line(f"SKU-{i}", MAX_QUANTITY, MAX_UNIT_PRICE_MINOR) for i in range(MAX_LINES)]
    order_id, placed = await _place(write_service, lines)

    assert placed.total.amount_minor == 10**16
    assert placed.total.amount_minor_decimal == str(10**16)
    paid = await write_service.commands.ProcessPayment(pay(order_id, 10**16))
    assert paid.order_id == order_id
