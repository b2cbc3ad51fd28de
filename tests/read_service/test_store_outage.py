"""MongoDB away: calls are UNAVAILABLE, health turns NOT_SERVING, and both recover by themselves."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from orders.v1 import query_service_pb2 as pb
from tests.mongo_process import MongoProcess
from tests.read_service.read_harness import ReadService
from tests.rich_errors import rich_error
from tests.waiting import read_until

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


async def health_becomes(health: health_pb2_grpc.HealthStub, status: Any) -> None:
    await read_until(
        lambda: health.Check(health_pb2.HealthCheckRequest(service="orders.v1.QueryService")),
        lambda response: response.status == status,
        f"health {status}",
    )


async def test_a_lost_mongodb_makes_calls_unavailable_and_health_recovers_by_itself(
    own_mongo: MongoProcess, read_service_on_own_mongo: ReadService
) -> None:
    service = read_service_on_own_mongo
    health = health_pb2_grpc.HealthStub(service.channel)
    await health_becomes(health, SERVING)
    request = pb.GetOrderSummaryRequest(order_id="o-1")

    own_mongo.kill()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await service.stub.GetOrderSummary(request, timeout=5)
    await health_becomes(health, NOT_SERVING)

    error = rich_error(caught.value)
    assert (error.code, error.reason) == (
        grpc.StatusCode.UNAVAILABLE,
        "READ_STORE_UNAVAILABLE",
    )

    own_mongo.start()
    await health_becomes(health, SERVING)
    with pytest.raises(grpc.aio.AioRpcError) as after:
        await service.stub.GetOrderSummary(request, timeout=5)
    assert after.value.code() == grpc.StatusCode.NOT_FOUND
