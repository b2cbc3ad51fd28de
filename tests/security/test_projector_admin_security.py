"""The projector's gRPC server in the secured `orders dev` stack: health open, the admin RPCs
behind a token with the ``orders:admin`` scope, over TLS."""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from orders.v1 import admin_pb2, admin_pb2_grpc, errors_pb2
from tests.rich_errors import rich_error
from tests.security.secure_stack import SecureStack
from tests.security.tokens import bearer, claims, signed


async def test_the_admin_service_wants_a_token_with_the_admin_scope_and_health_wants_none(
    secure_stack: SecureStack,
) -> None:
    address = f"127.0.0.1:{secure_stack.ports.projector_health}"
    security = secure_stack.security
    reader = signed(security, claims(scope="orders:read"))
    operator = signed(security, claims(scope="orders:admin"))
    async with secure_stack.channel(address) as channel:
        admin = admin_pb2_grpc.ProjectionAdminServiceStub(channel)
        health = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
        with pytest.raises(grpc.aio.AioRpcError) as anonymous:
            await admin.GetProjectionStatus(admin_pb2.GetProjectionStatusRequest())
        with pytest.raises(grpc.aio.AioRpcError) as reading:
            await admin.GetProjectionStatus(
                admin_pb2.GetProjectionStatusRequest(), metadata=bearer(reader)
            )
        status = await admin.GetProjectionStatus(
            admin_pb2.GetProjectionStatusRequest(), metadata=bearer(operator)
        )

    assert health.status == health_pb2.HealthCheckResponse.SERVING
    assert rich_error(anonymous.value).reason == errors_pb2.ErrorReason.Name(
        errors_pb2.TOKEN_MISSING
    )
    refused = rich_error(reading.value)
    assert refused.code == grpc.StatusCode.PERMISSION_DENIED
    assert refused.reason == errors_pb2.ErrorReason.Name(errors_pb2.SCOPE_INSUFFICIENT)
    assert status.read_models
