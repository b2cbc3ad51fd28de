"""The authentication and authorization reasons, provoked on the development stack with TLS and
bearer tokens on, raised as their typed exceptions."""

from __future__ import annotations

from collections.abc import Callable

import grpc
import pytest

from orders.v1 import query_service_pb2 as q
from orders_cli.dev_keys import DevSecurity
from orders_client import (
    CustomerMismatch,
    OrdersClient,
    OrdersError,
    ScopeInsufficient,
    TokenExpired,
    TokenInvalid,
    TokenMissing,
)
from tests.clients.orders_requests import registration
from tests.security.secure_stack import SecureStack
from tests.security.tokens import claims, forged

BOTH = ["orders:write", "orders:read"]

CASES: list[tuple[str, type[OrdersError], grpc.StatusCode, Callable[[DevSecurity], str | None]]] = [
    ("TOKEN_MISSING", TokenMissing, grpc.StatusCode.UNAUTHENTICATED, lambda s: None),
    (
        "TOKEN_EXPIRED",
        TokenExpired,
        grpc.StatusCode.UNAUTHENTICATED,
        lambda s: s.token(BOTH, ttl_seconds=-3600),
    ),
    (
        "TOKEN_INVALID",
        TokenInvalid,
        grpc.StatusCode.UNAUTHENTICATED,
        lambda s: forged(s, claims(scope=" ".join(BOTH))),
    ),
    (
        "SCOPE_INSUFFICIENT",
        ScopeInsufficient,
        grpc.StatusCode.PERMISSION_DENIED,
        lambda s: s.token(["orders:read"]),
    ),
]


@pytest.mark.parametrize(("reason", "raised", "code", "token"), CASES, ids=[c[0] for c in CASES])
async def test_each_authentication_reason_is_raised_as_its_typed_exception(
    secure_stack: SecureStack,
    reason: str,
    raised: type[OrdersError],
    code: grpc.StatusCode,
    token: Callable[[DevSecurity], str | None],
) -> None:
    security = secure_stack.security
    async with OrdersClient.connect(
        secure_stack.write_addr,
        secure_stack.read_addr,
        root_certificates=security.ca_cert.read_bytes(),
        bearer_token=token(security),
    ) as client:
        with pytest.raises(OrdersError) as caught:
            await client.commands.register_customer(registration())
    assert type(caught.value) is raised
    assert (caught.value.code, caught.value.reason_name) == (code, reason)


async def test_a_token_of_one_customer_listing_every_order_raises_customer_mismatch(
    secure_stack: SecureStack,
) -> None:
    security = secure_stack.security
    async with OrdersClient.connect(
        secure_stack.write_addr,
        secure_stack.read_addr,
        root_certificates=security.ca_cert.read_bytes(),
        bearer_token=security.token(["orders:read"], customer_id="someone-else"),
    ) as client:
        with pytest.raises(CustomerMismatch) as caught:
            await client.queries.list_orders(q.ListOrdersRequest())
    assert caught.value.code == grpc.StatusCode.PERMISSION_DENIED
