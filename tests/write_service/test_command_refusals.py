"""Every refusal through the real service: the status, the ErrorInfo, and nothing appended."""

from __future__ import annotations

from collections.abc import Awaitable

import grpc

from orders.v1 import command_service_pb2 as pb
from tests.write_service.harness import WriteService
from tests.write_service.rpc_calls import (
    ORDER_TOTAL,
    cancel,
    deliver,
    failure,
    line,
    money,
    new_id,
    pay,
    place,
    register,
    ship,
)


async def _paid_order(service: WriteService) -> str:
    customer_id, order_id = new_id("c"), new_id("o")
    await service.commands.RegisterCustomer(register(customer_id))
    await service.commands.PlaceOrder(place(order_id, customer_id))
    await service.commands.ProcessPayment(pay(order_id))
    return order_id


async def test_registering_a_taken_customer_id_is_refused(write_service: WriteService) -> None:
    customer_id = new_id("c")
    await write_service.commands.RegisterCustomer(register(customer_id))

    refused = await failure(write_service.commands.RegisterCustomer(register(customer_id)))

    assert refused.code == grpc.StatusCode.ALREADY_EXISTS
    assert (refused.reason, refused.domain) == ("CUSTOMER_ALREADY_EXISTS", "orders.v1")
    assert refused.metadata == {"customer_id": customer_id}
    assert len(await write_service.events(f"customer-{customer_id}")) == 1


async def test_ordering_for_an_unknown_customer_is_refused(write_service: WriteService) -> None:
    customer_id, order_id = new_id("c"), new_id("o")

    refused = await failure(write_service.commands.PlaceOrder(place(order_id, customer_id)))

    assert refused.code == grpc.StatusCode.NOT_FOUND
    assert refused.reason == "CUSTOMER_NOT_FOUND"
    assert refused.metadata == {"customer_id": customer_id}
    assert await write_service.events(f"order-{order_id}") == ()


async def test_placing_an_order_twice_is_refused(write_service: WriteService) -> None:
    customer_id, order_id = new_id("c"), new_id("o")
    await write_service.commands.RegisterCustomer(register(customer_id))
    await write_service.commands.PlaceOrder(place(order_id, customer_id))

    refused = await failure(write_service.commands.PlaceOrder(place(order_id, customer_id)))

    assert refused.code == grpc.StatusCode.ALREADY_EXISTS
    assert refused.reason == "ORDER_ALREADY_EXISTS"
    assert refused.metadata == {"order_id": order_id}
    assert len(await write_service.events(f"order-{order_id}")) == 1


async def test_every_order_command_on_an_unknown_order_is_not_found(
    write_service: WriteService,
) -> None:
    api, order_id = write_service.commands, new_id("o")
    calls: list[Awaitable[object]] = [
        api.ProcessPayment(pay(order_id)),
        api.ShipOrder(ship(order_id)),
        api.DeliverOrder(deliver(order_id)),
        api.CancelOrder(cancel(order_id)),
    ]
    for call in calls:
        refused = await failure(call)
        assert refused.code == grpc.StatusCode.NOT_FOUND
        assert refused.reason == "ORDER_NOT_FOUND"
        assert refused.metadata == {"order_id": order_id}
    assert await write_service.events(f"order-{order_id}") == ()


async def test_paying_twice_is_an_illegal_transition(write_service: WriteService) -> None:
    order_id = await _paid_order(write_service)

    refused = await failure(write_service.commands.ProcessPayment(pay(order_id)))

    assert refused.code == grpc.StatusCode.FAILED_PRECONDITION
    assert refused.reason == "ILLEGAL_TRANSITION"
    assert refused.metadata == {
        "order_id": order_id,
        "current_status": "ORDER_STATUS_PAID",
        "requested_status": "ORDER_STATUS_PAID",
    }
    assert len(await write_service.events(f"order-{order_id}")) == 2


async def test_shipping_an_unpaid_order_is_refused(write_service: WriteService) -> None:
    customer_id, order_id = new_id("c"), new_id("o")
    await write_service.commands.RegisterCustomer(register(customer_id))
    await write_service.commands.PlaceOrder(place(order_id, customer_id))

    refused = await failure(write_service.commands.ShipOrder(ship(order_id)))

    assert refused.code == grpc.StatusCode.FAILED_PRECONDITION
    assert refused.metadata["current_status"] == "ORDER_STATUS_PLACED"
    assert refused.metadata["requested_status"] == "ORDER_STATUS_SHIPPED"
    assert len(await write_service.events(f"order-{order_id}")) == 1


async def test_shipping_paying_or_delivering_a_cancelled_order_is_refused(
    write_service: WriteService,
) -> None:
    order_id = await _paid_order(write_service)
    await write_service.commands.CancelOrder(cancel(order_id))
    api = write_service.commands

    for call in (api.ShipOrder(ship(order_id)), api.DeliverOrder(deliver(order_id))):
        refused = await failure(call)
        assert refused.code == grpc.StatusCode.FAILED_PRECONDITION
        assert refused.metadata["current_status"] == "ORDER_STATUS_CANCELLED"
    assert len(await write_service.events(f"order-{order_id}")) == 3


async def test_delivering_an_unshipped_order_is_refused(write_service: WriteService) -> None:
    order_id = await _paid_order(write_service)

    refused = await failure(write_service.commands.DeliverOrder(deliver(order_id)))

    assert refused.code == grpc.StatusCode.FAILED_PRECONDITION
    assert refused.reason == "ILLEGAL_TRANSITION"
    assert refused.metadata["requested_status"] == "ORDER_STATUS_DELIVERED"


async def test_cancelling_a_shipped_order_is_refused(write_service: WriteService) -> None:
    order_id = await _paid_order(write_service)
    await write_service.commands.ShipOrder(ship(order_id))

    refused = await failure(write_service.commands.CancelOrder(cancel(order_id)))

    assert refused.code == grpc.StatusCode.FAILED_PRECONDITION
    assert refused.metadata["current_status"] == "ORDER_STATUS_SHIPPED"
    assert refused.metadata["requested_status"] == "ORDER_STATUS_CANCELLED"
    assert len(await write_service.events(f"order-{order_id}")) == 3


async def test_a_payment_other_than_the_order_total_is_an_invalid_request(
    write_service: WriteService,
) -> None:
    customer_id, order_id = new_id("c"), new_id("o")
    await write_service.commands.RegisterCustomer(register(customer_id))
    await write_service.commands.PlaceOrder(place(order_id, customer_id))
    wrong_currency = pay(order_id)
    wrong_currency.amount.CopyFrom(money(ORDER_TOTAL, "USD"))

    for request in (pay(order_id, ORDER_TOTAL - 1), wrong_currency):
        refused = await failure(write_service.commands.ProcessPayment(request))
        assert refused.code == grpc.StatusCode.INVALID_ARGUMENT
        assert refused.reason == "INVALID_REQUEST"
        assert refused.fields == ["amount"]
    assert len(await write_service.events(f"order-{order_id}")) == 1


async def test_a_malformed_order_reports_every_bad_field_and_appends_nothing(
    write_service: WriteService,
) -> None:
    order_id = new_id("o")
    request = pb.PlaceOrderRequest(
        idempotency_key=new_id("key"),
        order_id=order_id,
        customer_id="not a valid id!",
        lines=[
            line("sku-1", 1, 100),
            line("", 0, 100),
            line("sku-3", 1, -5, "USD"),
            line("sku-4", 1, 100, "euro"),
        ],
    )

    refused = await failure(write_service.commands.PlaceOrder(request))

    assert refused.code == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.reason == "INVALID_REQUEST"
    assert refused.fields == [
        "customer_id",
        "lines[1].sku",
        "lines[1].quantity",
        "lines[2].unit_price.amount_minor",
        "lines[2].unit_price.currency_code",
        "lines[3].unit_price.currency_code",
    ]
    assert await write_service.events(f"order-{order_id}") == ()


async def test_an_order_without_lines_and_a_customer_without_name_are_invalid(
    write_service: WriteService,
) -> None:
    api = write_service.commands
    no_lines = pb.PlaceOrderRequest(order_id=new_id("o"), customer_id=new_id("c"))
    nameless = pb.RegisterCustomerRequest(customer_id=new_id("c"), email="x")

    assert (await failure(api.PlaceOrder(no_lines))).fields == ["lines"]
    assert (await failure(api.RegisterCustomer(nameless))).fields == ["name", "email"]
