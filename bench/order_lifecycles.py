"""Drives orders through their lifecycle via the command service, one command per call.

Every call sends the next command of some order whose previous command has been answered:
PlaceOrder, ProcessPayment, ShipOrder, DeliverOrder, with one order in ten cancelled after
placing. An order is in at most one call at a time, so no command races its predecessor, and
any number of calls can be in flight across orders.
"""

from __future__ import annotations

import itertools
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Final

import grpc

from orders.v1 import command_service_pb2 as pb
from orders.v1 import command_service_pb2_grpc as pb_grpc
from orders.v1 import types_pb2

PLACED, PAID, SHIPPED, DELIVERED, CANCELLED = (
    types_pb2.ORDER_STATUS_PLACED,
    types_pb2.ORDER_STATUS_PAID,
    types_pb2.ORDER_STATUS_SHIPPED,
    types_pb2.ORDER_STATUS_DELIVERED,
    types_pb2.ORDER_STATUS_CANCELLED,
)
_LINES: Final = (
    types_pb2.OrderLine(
        sku="sku-1", quantity=2, unit_price=types_pb2.Money(currency_code="EUR", amount_minor=1250)
    ),
    types_pb2.OrderLine(
        sku="sku-2", quantity=1, unit_price=types_pb2.Money(currency_code="EUR", amount_minor=4999)
    ),
)
TOTAL_MINOR: Final = 2 * 1250 + 4999


@dataclass
class _Order:
    order_id: str
    customer_id: str
    status: int = types_pb2.ORDER_STATUS_UNSPECIFIED
    cancel: bool = False


@dataclass
class Lifecycles:
    """Shared by all callers of one run; ``customers`` must already be registered."""

    stub: pb_grpc.CommandServiceAsyncStub
    customers: list[str]
    prefix: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    errors: int = 0
    _ready: deque[_Order] = field(default_factory=deque)
    _numbers: itertools.count[int] = field(default_factory=itertools.count)

    async def step(self) -> tuple[str, int]:
        """Send one command; the order id and the status it should now have (0 on error)."""
        order = self._ready.popleft() if self._ready else self._new_order()
        try:
            expected = await self._send(order)
        except grpc.aio.AioRpcError:
            self.errors += 1
            return order.order_id, 0
        order.status = expected
        if expected not in (DELIVERED, CANCELLED):
            self._ready.append(order)
        return order.order_id, expected

    def _new_order(self) -> _Order:
        number = next(self._numbers)
        customer = self.customers[number % len(self.customers)]
        return _Order(f"{self.prefix}-{number}", customer, cancel=number % 10 == 9)

    async def _send(self, order: _Order) -> int:
        key = f"{order.order_id}/{order.status}"
        match order.status:
            case types_pb2.ORDER_STATUS_UNSPECIFIED:
                await self.stub.PlaceOrder(
                    pb.PlaceOrderRequest(
                        idempotency_key=key,
                        order_id=order.order_id,
                        customer_id=order.customer_id,
                        lines=_LINES,
                    )
                )
                return PLACED
            case types_pb2.ORDER_STATUS_PLACED if order.cancel:
                await self.stub.CancelOrder(
                    pb.CancelOrderRequest(
                        idempotency_key=key, order_id=order.order_id, reason="changed my mind"
                    )
                )
                return CANCELLED
            case types_pb2.ORDER_STATUS_PLACED:
                amount = types_pb2.Money(currency_code="EUR", amount_minor=TOTAL_MINOR)
                await self.stub.ProcessPayment(
                    pb.ProcessPaymentRequest(
                        idempotency_key=key,
                        order_id=order.order_id,
                        amount=amount,
                        payment_id=f"pay-{order.order_id}",
                        method="card",
                    )
                )
                return PAID
            case types_pb2.ORDER_STATUS_PAID:
                await self.stub.ShipOrder(
                    pb.ShipOrderRequest(
                        idempotency_key=key,
                        order_id=order.order_id,
                        carrier="DHL",
                        tracking_number=f"TRK-{order.order_id}",
                    )
                )
                return SHIPPED
            case _:
                await self.stub.DeliverOrder(
                    pb.DeliverOrderRequest(idempotency_key=key, order_id=order.order_id)
                )
                return DELIVERED


async def register_customers(stub: pb_grpc.CommandServiceAsyncStub, count: int) -> list[str]:
    prefix = uuid.uuid4().hex[:6]
    ids = [f"c-{prefix}-{index}" for index in range(count)]
    for customer_id in ids:
        await stub.RegisterCustomer(
            pb.RegisterCustomerRequest(
                idempotency_key=f"register/{customer_id}",
                customer_id=customer_id,
                name=f"Customer {customer_id}",
                email=f"{customer_id}@example.com",
            )
        )
    return ids


def place_order_size() -> int:
    """Bytes of a PlaceOrder request, so the echo baseline carries as much."""
    request = pb.PlaceOrderRequest(
        idempotency_key="x" * 20, order_id="o" * 12, customer_id="c" * 12, lines=_LINES
    )
    return request.ByteSize()
