"""Requests and error inspection shared by the write-service tests."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable

import grpc

from orders.v1 import command_service_pb2 as pb
from orders.v1 import types_pb2
from tests.rich_errors import RichError, rich_error


async def failure(call: Awaitable[object]) -> RichError:
    """The rich error a call fails with; the test fails if the call succeeds."""
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return rich_error(error)
    raise AssertionError("the call succeeded but was expected to fail")


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def money(amount_minor: int, currency: str = "EUR") -> types_pb2.Money:
    return types_pb2.Money(currency_code=currency, amount_minor=amount_minor)


def line(
    sku: str, quantity: int, unit_price_minor: int, currency: str = "EUR"
) -> types_pb2.OrderLine:
    return types_pb2.OrderLine(
        sku=sku, quantity=quantity, unit_price=money(unit_price_minor, currency)
    )


def register(customer_id: str, key: str = "") -> pb.RegisterCustomerRequest:
    return pb.RegisterCustomerRequest(
        idempotency_key=key or new_id("key"),
        customer_id=customer_id,
        name="Ada Lovelace",
        email="ada@example.com",
    )


def place(order_id: str, customer_id: str, key: str = "") -> pb.PlaceOrderRequest:
    return pb.PlaceOrderRequest(
        idempotency_key=key or new_id("key"),
        order_id=order_id,
        customer_id=customer_id,
        lines=[line("sku-1", 2, 1000), line("sku-2", 1, 500)],
    )


ORDER_TOTAL = 2500


def pay(order_id: str, amount_minor: int = ORDER_TOTAL, key: str = "") -> pb.ProcessPaymentRequest:
    return pb.ProcessPaymentRequest(
        idempotency_key=key or new_id("key"),
        order_id=order_id,
        amount=money(amount_minor),
        method="card",
    )


def ship(order_id: str, key: str = "") -> pb.ShipOrderRequest:
    return pb.ShipOrderRequest(
        idempotency_key=key or new_id("key"),
        order_id=order_id,
        carrier="DHL",
        tracking_number="track-1",
    )


def deliver(order_id: str, key: str = "") -> pb.DeliverOrderRequest:
    return pb.DeliverOrderRequest(idempotency_key=key or new_id("key"), order_id=order_id)


def cancel(order_id: str, key: str = "") -> pb.CancelOrderRequest:
    return pb.CancelOrderRequest(
        idempotency_key=key or new_id("key"), order_id=order_id, reason="changed my mind"
    )
