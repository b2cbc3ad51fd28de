"""Calls over real TLS to the development stack: what each kind of bad token gets, and that
health stays open."""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from orders.v1 import query_service_pb2, query_service_pb2_grpc
from tests.rich_errors import rich_error
from tests.security.secure_stack import SecureStack
from tests.security.tokens import bearer, claims, forged, signed

REQUEST = query_service_pb2.GetOrderSummaryRequest(order_id="o-nobody-placed-this")


async def refusal(stack: SecureStack, metadata: tuple[tuple[str, str], ...]) -> tuple[str, str]:
    async with stack.channel(stack.read_addr) as channel:
        queries = query_service_pb2_grpc.QueryServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await queries.GetOrderSummary(REQUEST, metadata=metadata, timeout=30)
    error = rich_error(refused.value)
    assert error.domain == "orders.v1"
    return error.code.name, error.reason


async def test_a_call_without_a_token_is_unauthenticated(secure_stack: SecureStack) -> None:
    assert await refusal(secure_stack, ()) == ("UNAUTHENTICATED", "TOKEN_MISSING")


async def test_an_expired_token_is_unauthenticated(secure_stack: SecureStack) -> None:
    token = secure_stack.security.token(["orders:read"], ttl_seconds=-3600)
    assert await refusal(secure_stack, bearer(token)) == ("UNAUTHENTICATED", "TOKEN_EXPIRED")


async def test_a_token_signed_with_another_key_is_unauthenticated(
    secure_stack: SecureStack,
) -> None:
    token = forged(secure_stack.security, claims(scope="orders:read orders:admin"))
    assert await refusal(secure_stack, bearer(token)) == ("UNAUTHENTICATED", "TOKEN_INVALID")


async def test_a_token_for_another_audience_is_unauthenticated(secure_stack: SecureStack) -> None:
    token = signed(secure_stack.security, claims(aud="billing"))
    assert await refusal(secure_stack, bearer(token)) == ("UNAUTHENTICATED", "TOKEN_INVALID")


async def test_a_token_from_another_issuer_is_unauthenticated(secure_stack: SecureStack) -> None:
    token = signed(secure_stack.security, claims(iss="https://elsewhere.example"))
    assert await refusal(secure_stack, bearer(token)) == ("UNAUTHENTICATED", "TOKEN_INVALID")


async def test_a_token_without_expiry_is_unauthenticated(secure_stack: SecureStack) -> None:
    body = claims()
    del body["exp"]
    token = signed(secure_stack.security, body)
    assert await refusal(secure_stack, bearer(token)) == ("UNAUTHENTICATED", "TOKEN_INVALID")


async def test_a_header_that_is_not_a_bearer_token_is_unauthenticated(
    secure_stack: SecureStack,
) -> None:
    token = secure_stack.security.token(["orders:read"])
    metadata = (("authorization", f"Basic {token}"),)
    assert await refusal(secure_stack, metadata) == ("UNAUTHENTICATED", "TOKEN_INVALID")


async def test_a_valid_token_reaches_the_service(secure_stack: SecureStack) -> None:
    token = secure_stack.security.token(["orders:read"])
    # Past the guard, the service itself answers: the order does not exist.
    assert await refusal(secure_stack, bearer(token)) == ("NOT_FOUND", "ORDER_NOT_FOUND")


async def test_health_answers_without_a_token(secure_stack: SecureStack) -> None:
    for address in (secure_stack.write_addr, secure_stack.read_addr):
        async with secure_stack.channel(address) as channel:
            reply = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=30
            )
        assert reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_a_plaintext_client_cannot_talk_to_a_tls_port(secure_stack: SecureStack) -> None:
    async with grpc.aio.insecure_channel(secure_stack.read_addr) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=5
            )
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
