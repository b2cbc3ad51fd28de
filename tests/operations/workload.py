"""A known workload through both services' public APIs, and what it must leave counted."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import grpc

from orders.v1 import command_service_pb2 as cmd
from orders.v1 import command_service_pb2_grpc as cmd_grpc
from orders.v1 import consistency_pb2, types_pb2
from orders.v1 import query_service_pb2 as query
from orders.v1 import query_service_pb2_grpc as query_grpc

Metadata = tuple[tuple[str, str | bytes], ...]
CALL_TIMEOUT = 60.0


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True, slots=True)
class Clients:
    commands: cmd_grpc.CommandServiceStub
    queries: query_grpc.QueryServiceStub

    @classmethod
    def on(cls, write: grpc.Channel, read: grpc.Channel) -> Clients:
        return cls(cmd_grpc.CommandServiceStub(write), query_grpc.QueryServiceStub(read))


def register(clients: Clients, metadata: Metadata = ()) -> str:
    customer_id = new_id("c")
    clients.commands.RegisterCustomer(
        cmd.RegisterCustomerRequest(
            idempotency_key=new_id("k"), customer_id=customer_id, name="Ada", email="a@example.com"
        ),
        metadata=metadata,
        timeout=CALL_TIMEOUT,
    )
    return customer_id


def place(
    clients: Clients, customer_id: str, quantity: int = 2, metadata: Metadata = ()
) -> cmd.PlaceOrderResponse:
    response: cmd.PlaceOrderResponse = clients.commands.PlaceOrder(
        cmd.PlaceOrderRequest(
            idempotency_key=new_id("k"),
            order_id=new_id("o"),
            customer_id=customer_id,
            lines=[
                types_pb2.OrderLine(
                    sku="BOOK-1",
                    quantity=quantity,
                    unit_price=types_pb2.Money(currency_code="EUR", amount_minor=1250),
                )
            ],
        ),
        metadata=metadata,
        timeout=CALL_TIMEOUT,
    )
    return response


def pay(clients: Clients, placed: cmd.PlaceOrderResponse) -> cmd.ProcessPaymentResponse:
    response: cmd.ProcessPaymentResponse = clients.commands.ProcessPayment(
        cmd.ProcessPaymentRequest(
            idempotency_key=new_id("k"),
            order_id=placed.order_id,
            amount=placed.total,
            method="card",
        ),
        timeout=CALL_TIMEOUT,
    )
    return response


def read_waiting(
    clients: Clients,
    order_id: str,
    token: consistency_pb2.ConsistencyToken,
    metadata: Metadata = (),
) -> query.GetOrderSummaryResponse:
    """The order's summary once the read models show the write that gave ``token``."""
    response: query.GetOrderSummaryResponse = clients.queries.GetOrderSummary(
        query.GetOrderSummaryRequest(
            order_id=order_id,
            consistency=consistency_pb2.ReadConsistency(
                min_token=token, policy=consistency_pb2.STALENESS_POLICY_WAIT
            ),
        ),
        metadata=metadata,
        timeout=CALL_TIMEOUT,
    )
    return response
