"""The commands the watch tests send: an order paid, shipped, delivered, one step at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from orders.v1 import command_service_pb2 as cmd
from orders.v1 import consistency_pb2
from tests.read_service.full_stack import key, money

if TYPE_CHECKING:
    from orders.v1.command_service_pb2_grpc import CommandServiceAsyncStub as Commands


async def step(commands: Commands, order_id: str, step: int) -> consistency_pb2.ConsistencyToken:
    """The order's next step after OrderPlaced: 1 pays it (2 x 1250 EUR), 2 ships, 3 delivers."""
    if step == 1:
        paid = await commands.ProcessPayment(
            cmd.ProcessPaymentRequest(
                idempotency_key=key(), order_id=order_id, amount=money(2500, "EUR"), method="card"
            ),
            timeout=30,
        )
        return paid.consistency_token
    if step == 2:
        shipped = await commands.ShipOrder(
            cmd.ShipOrderRequest(
                idempotency_key=key(), order_id=order_id, carrier="DHL", tracking_number="T"
            ),
            timeout=30,
        )
        return shipped.consistency_token
    delivered = await commands.DeliverOrder(
        cmd.DeliverOrderRequest(idempotency_key=key(), order_id=order_id), timeout=30
    )
    return delivered.consistency_token
