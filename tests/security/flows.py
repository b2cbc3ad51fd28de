"""Commands the security tests send: a customer registered and an order placed under a token,
each with its own ids, so tests do not depend on one another."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from orders.v1 import (
    command_service_pb2,
    command_service_pb2_grpc,
    consistency_pb2,
    types_pb2,
)
from tests.security.tokens import bearer


@dataclass(frozen=True)
class Placed:
    customer_id: str
    order_id: str
    response: command_service_pb2.PlaceOrderResponse

    def consistency(self) -> consistency_pb2.ReadConsistency:
        return consistency_pb2.ReadConsistency(
            min_token=self.response.consistency_token,
            policy=consistency_pb2.STALENESS_POLICY_WAIT,
        )


async def register_and_place(
    commands: command_service_pb2_grpc.CommandServiceAsyncStub,
    token: str,
    *,
    name: str = "Test Customer",
    email: str = "test.customer@example.com",
    customer_id: str = "",
) -> Placed:
    customer_id = customer_id or f"c-{uuid.uuid4().hex[:12]}"
    order_id = f"o-{uuid.uuid4().hex[:12]}"
    await commands.RegisterCustomer(
        command_service_pb2.RegisterCustomerRequest(
            idempotency_key=uuid.uuid4().hex, customer_id=customer_id, name=name, email=email
        ),
        metadata=bearer(token),
        timeout=30,
    )
    placed = await commands.PlaceOrder(
        command_service_pb2.PlaceOrderRequest(
            idempotency_key=uuid.uuid4().hex,
            order_id=order_id,
            customer_id=customer_id,
            lines=[
                types_pb2.OrderLine(
                    sku="BOOK-1",
                    quantity=2,
                    unit_price=types_pb2.Money(currency_code="EUR", amount_minor=1250),
                )
            ],
        ),
        metadata=bearer(token),
        timeout=30,
    )
    return Placed(customer_id, order_id, placed)
