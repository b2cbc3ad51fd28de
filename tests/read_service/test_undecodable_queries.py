"""Request bytes that do not decode are a bad request on every query, never UNKNOWN."""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2

from orders.v1 import query_service_pb2
from tests.read_service.read_harness import ReadService
from tests.rich_errors import rich_error
from tests.undecodable_bytes import answers_to_undecodable_bodies, raw_method

SERVICE = query_service_pb2.DESCRIPTOR.services_by_name["QueryService"]


async def test_every_query_refuses_undecodable_bytes_as_an_invalid_request(
    read_service: ReadService,
) -> None:
    answers = await answers_to_undecodable_bodies(read_service.channel, SERVICE)
    assert len(answers) >= 2 * len(SERVICE.methods)
    expected = (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_REQUEST", "orders.v1")
    assert {key: answer for key, answer in answers.items() if answer != expected} == {}


async def test_the_health_service_beside_it_refuses_undecodable_bytes_too(
    read_service: ReadService,
) -> None:
    check = raw_method(read_service.channel, "/grpc.health.v1.Health/Check")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await check(b"\xff\xff\xff\xff", timeout=10)
    assert rich_error(raised.value).code == grpc.StatusCode.INVALID_ARGUMENT
    answer = await check(health_pb2.HealthCheckRequest().SerializeToString(), timeout=10)
    assert health_pb2.HealthCheckResponse.FromString(answer).status in (
        health_pb2.HealthCheckResponse.SERVING,
        health_pb2.HealthCheckResponse.NOT_SERVING,
    )
