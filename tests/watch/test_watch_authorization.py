"""Who may watch what, over real TLS with bearer tokens: the unary queries' rules, applied to
the streams before their first message."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from orders.v1 import command_service_pb2_grpc, query_service_pb2, query_service_pb2_grpc
from tests.rich_errors import RichError, rich_error
from tests.security.flows import Placed, register_and_place
from tests.security.secure_stack import SecureStack
from tests.security.tokens import bearer
from tests.watch.streams import CAUGHT_UP, SNAPSHOT

pytestmark = pytest.mark.servers

OPERATOR = ["orders:write", "orders:read"]


@pytest.fixture
async def two_orders(
    secure_stack: SecureStack,
) -> AsyncIterator[tuple[query_service_pb2_grpc.QueryServiceAsyncStub, Placed, Placed]]:
    operator = secure_stack.security.token(OPERATOR)
    async with (
        secure_stack.channel(secure_stack.write_addr) as write,
        secure_stack.channel(secure_stack.read_addr) as read,
    ):
        commands = command_service_pb2_grpc.CommandServiceStub(write)
        own = await register_and_place(commands, operator)
        other = await register_and_place(commands, operator)
        yield query_service_pb2_grpc.QueryServiceStub(read), own, other


async def _first_two(call: Any) -> list[Any]:
    got: list[Any] = []
    async for message in call:
        got.append(message)
        if len(got) == 2:
            call.cancel()
            break
    return got


async def _refused(call: Any) -> RichError:
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        async for _ in call:
            pass
    return rich_error(failure.value)


async def test_a_customer_token_watches_its_own_order_and_customer_and_no_other(
    secure_stack: SecureStack,
    two_orders: tuple[query_service_pb2_grpc.QueryServiceAsyncStub, Placed, Placed],
) -> None:
    queries, own, other = two_orders
    customer = bearer(secure_stack.security.token(["orders:read"], customer_id=own.customer_id))
    mine = await _first_two(
        queries.WatchOrder(
            query_service_pb2.WatchOrderRequest(
                order_id=own.order_id, consistency=own.consistency()
            ),
            metadata=customer,
            timeout=60,
        )
    )
    assert [m.kind for m in mine] == [SNAPSHOT, CAUGHT_UP]
    assert mine[0].order.customer_id == own.customer_id
    listed = await _first_two(
        queries.WatchCustomerOrders(
            query_service_pb2.WatchCustomerOrdersRequest(
                customer_id=own.customer_id, consistency=own.consistency()
            ),
            metadata=customer,
            timeout=60,
        )
    )
    assert [m.order.order_id for m in listed if m.kind == SNAPSHOT] == [own.order_id]

    for call in (
        queries.WatchOrder(
            query_service_pb2.WatchOrderRequest(
                order_id=other.order_id, consistency=other.consistency()
            ),
            metadata=customer,
            timeout=60,
        ),
        queries.WatchCustomerOrders(
            query_service_pb2.WatchCustomerOrdersRequest(customer_id=other.customer_id),
            metadata=customer,
            timeout=60,
        ),
    ):
        error = await _refused(call)
        assert (error.code, error.reason) == (
            grpc.StatusCode.PERMISSION_DENIED,
            "CUSTOMER_MISMATCH",
        )


async def test_watching_needs_a_token_with_the_read_scope(
    secure_stack: SecureStack,
    two_orders: tuple[query_service_pb2_grpc.QueryServiceAsyncStub, Placed, Placed],
) -> None:
    queries, own, _ = two_orders
    request = query_service_pb2.WatchOrderRequest(order_id=own.order_id)
    missing = await _refused(queries.WatchOrder(request, timeout=30))
    assert (missing.code, missing.reason) == (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_MISSING")
    writer = bearer(secure_stack.security.token(["orders:write"]))
    scope = await _refused(queries.WatchOrder(request, metadata=writer, timeout=30))
    assert (scope.code, scope.reason) == (grpc.StatusCode.PERMISSION_DENIED, "SCOPE_INSUFFICIENT")
