"""Scopes per RPC and tokens bound to one customer, over real TLS to the development stack;
and who did what, in the events' metadata."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from kurrentdbclient import AsyncKurrentDBClient

from orders.v1 import (
    command_service_pb2,
    command_service_pb2_grpc,
    consistency_pb2,
    query_service_pb2,
    query_service_pb2_grpc,
    types_pb2,
)
from tests.rich_errors import RichError, rich_error
from tests.security.flows import register_and_place
from tests.security.secure_stack import SecureStack
from tests.security.tokens import bearer

OPERATOR = ["orders:write", "orders:read"]


@dataclass
class Clients:
    commands: command_service_pb2_grpc.CommandServiceAsyncStub
    queries: query_service_pb2_grpc.QueryServiceAsyncStub


@pytest.fixture
async def clients(secure_stack: SecureStack) -> AsyncIterator[Clients]:
    async with (
        secure_stack.channel(secure_stack.write_addr) as write,
        secure_stack.channel(secure_stack.read_addr) as read,
    ):
        yield Clients(
            command_service_pb2_grpc.CommandServiceStub(write),
            query_service_pb2_grpc.QueryServiceStub(read),
        )


async def refused(call: Awaitable[Any]) -> RichError:
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await call
    return rich_error(failure.value)


async def test_a_read_only_token_cannot_place_an_order(
    secure_stack: SecureStack, clients: Clients
) -> None:
    reader = secure_stack.security.token(["orders:read"])
    error = await refused(register_and_place(clients.commands, reader))
    assert (error.code, error.reason) == (grpc.StatusCode.PERMISSION_DENIED, "SCOPE_INSUFFICIENT")
    assert error.metadata == {"required_scope": "orders:write"}


async def test_a_write_only_token_cannot_query(secure_stack: SecureStack, clients: Clients) -> None:
    writer = secure_stack.security.token(["orders:write"])
    error = await refused(
        clients.queries.ListOrders(
            query_service_pb2.ListOrdersRequest(), metadata=bearer(writer), timeout=30
        )
    )
    assert (error.code, error.reason) == (grpc.StatusCode.PERMISSION_DENIED, "SCOPE_INSUFFICIENT")
    assert error.metadata == {"required_scope": "orders:read"}


async def test_a_customer_token_reads_its_own_order_and_not_another_customers(
    secure_stack: SecureStack, clients: Clients
) -> None:
    operator = secure_stack.security.token(OPERATOR)
    own = await register_and_place(clients.commands, operator)
    other = await register_and_place(clients.commands, operator)
    customer = bearer(secure_stack.security.token(["orders:read"], customer_id=own.customer_id))
    # Read-your-writes on an operator token first, so both orders are in the read models.
    for placed in (own, other):
        await clients.queries.GetOrderDetails(
            query_service_pb2.GetOrderDetailsRequest(
                order_id=placed.order_id, consistency=placed.consistency()
            ),
            metadata=bearer(operator),
            timeout=60,
        )
    mine = await clients.queries.GetOrderDetails(
        query_service_pb2.GetOrderDetailsRequest(order_id=own.order_id),
        metadata=customer,
        timeout=30,
    )
    assert mine.order.summary.customer_id == own.customer_id
    error = await refused(
        clients.queries.GetOrderDetails(
            query_service_pb2.GetOrderDetailsRequest(order_id=other.order_id),
            metadata=customer,
            timeout=30,
        )
    )
    assert (error.code, error.reason) == (grpc.StatusCode.PERMISSION_DENIED, "CUSTOMER_MISMATCH")
    summary = await refused(
        clients.queries.GetOrderSummary(
            query_service_pb2.GetOrderSummaryRequest(order_id=other.order_id),
            metadata=customer,
            timeout=30,
        )
    )
    assert summary.reason == "CUSTOMER_MISMATCH"


async def test_a_customer_token_lists_only_its_own_orders(
    secure_stack: SecureStack, clients: Clients
) -> None:
    operator = secure_stack.security.token(OPERATOR)
    own = await register_and_place(clients.commands, operator)
    customer = bearer(secure_stack.security.token(["orders:read"], customer_id=own.customer_id))
    listed = await clients.queries.ListCustomerOrders(
        query_service_pb2.ListCustomerOrdersRequest(customer_id=own.customer_id),
        metadata=customer,
        timeout=30,
    )
    assert all(order.customer_id == own.customer_id for order in listed.orders)
    for call in (
        clients.queries.ListCustomerOrders(
            query_service_pb2.ListCustomerOrdersRequest(customer_id="c-someone-else"),
            metadata=customer,
            timeout=30,
        ),
        clients.queries.ListOrders(
            query_service_pb2.ListOrdersRequest(), metadata=customer, timeout=30
        ),
        clients.queries.GetOrderStats(
            query_service_pb2.GetOrderStatsRequest(), metadata=customer, timeout=30
        ),
        clients.queries.GetSalesAnalytics(
            query_service_pb2.GetSalesAnalyticsRequest(), metadata=customer, timeout=30
        ),
    ):
        error = await refused(call)
        assert (error.code, error.reason) == (
            grpc.StatusCode.PERMISSION_DENIED,
            "CUSTOMER_MISMATCH",
        )


async def test_a_customer_token_acts_only_on_its_own_orders(
    secure_stack: SecureStack, clients: Clients
) -> None:
    operator = secure_stack.security.token(OPERATOR)
    own = await register_and_place(clients.commands, operator)
    other = await register_and_place(clients.commands, operator)
    customer_token = secure_stack.security.token(["orders:write"], customer_id=own.customer_id)
    customer = bearer(customer_token)
    for placed, expected in ((other, "CUSTOMER_MISMATCH"), (own, None)):
        call = clients.commands.ProcessPayment(
            command_service_pb2.ProcessPaymentRequest(
                idempotency_key=uuid.uuid4().hex,
                order_id=placed.order_id,
                amount=placed.response.total,
                payment_id=f"p-{uuid.uuid4().hex[:8]}",
                method="card",
            ),
            metadata=customer,
            timeout=30,
        )
        if expected is None:
            reply = await call
            assert reply.status == types_pb2.ORDER_STATUS_PAID
        else:
            error = await refused(call)
            assert (error.code, error.reason) == (grpc.StatusCode.PERMISSION_DENIED, expected)
    placing_for_another = await refused(register_and_place(clients.commands, customer_token))
    assert placing_for_another.reason == "CUSTOMER_MISMATCH"


async def test_every_event_names_who_made_it(secure_stack: SecureStack, clients: Clients) -> None:
    subject, client_id = f"svc-{uuid.uuid4().hex[:6]}", "checkout-frontend"
    token = secure_stack.security.token(OPERATOR, subject=subject, client_id=client_id)
    placed = await register_and_place(clients.commands, token)
    store = AsyncKurrentDBClient(secure_stack.eventstore_uri)
    try:
        streams = (f"customer-{placed.customer_id}", f"order-{placed.order_id}")
        events = [event for stream in streams for event in await store.get_stream(stream)]
    finally:
        await store.close()
    assert [event.type for event in events] == ["CustomerRegistered", "OrderPlaced"]
    for event in events:
        metadata = json.loads(event.metadata)
        assert (metadata["principal_subject"], metadata["principal_client_id"]) == (
            subject,
            client_id,
        )


async def test_the_timeline_shows_who_made_each_change(
    secure_stack: SecureStack, clients: Clients
) -> None:
    placer = secure_stack.security.token(OPERATOR, subject="svc-checkout", client_id="web")
    placed = await register_and_place(clients.commands, placer)
    payer = secure_stack.security.token(OPERATOR, subject="svc-payments", client_id="psp")
    paid = await clients.commands.ProcessPayment(
        command_service_pb2.ProcessPaymentRequest(
            idempotency_key=uuid.uuid4().hex,
            order_id=placed.order_id,
            amount=placed.response.total,
            payment_id=f"p-{uuid.uuid4().hex[:8]}",
            method="card",
        ),
        metadata=bearer(payer),
        timeout=30,
    )
    details = await clients.queries.GetOrderDetails(
        query_service_pb2.GetOrderDetailsRequest(
            order_id=placed.order_id,
            consistency=consistency_pb2.ReadConsistency(
                min_token=paid.consistency_token, policy=consistency_pb2.STALENESS_POLICY_WAIT
            ),
        ),
        metadata=bearer(placer),
        timeout=60,
    )
    assert [
        (entry.event_type, entry.actor.subject, entry.actor.client_id)
        for entry in details.order.timeline
    ] == [
        ("OrderPlaced", "svc-checkout", "web"),
        ("PaymentProcessed", "svc-payments", "psp"),
    ]
