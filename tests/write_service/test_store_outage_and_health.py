"""Health follows the event store; commands fail as UNAVAILABLE while it is down."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from eventstore_lite.testing import EventStoreProcess
from tests.waiting import wait_until
from tests.write_service.harness import WriteService, running_write_service
from tests.write_service.rpc_calls import failure, new_id, register

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


async def _health_becomes(service: WriteService, expected: int) -> None:
    stub = health_pb2_grpc.HealthStub(service.channel)

    async def reported() -> bool:
        for name in ("", "orders.v1.CommandService"):
            if (await stub.Check(health_pb2.HealthCheckRequest(service=name))).status != expected:
                return False
        return True

    await wait_until(reported, f"health {expected} for the server and the service")


@pytest.mark.servers
async def test_commands_are_unavailable_and_health_not_serving_while_the_store_is_down(
    tmp_path: Path,
) -> None:
    store = EventStoreProcess(tmp_path / "store")
    uri = await asyncio.to_thread(store.start)
    try:
        async with running_write_service(uri, store_timeout=1.0) as service:
            await _health_becomes(service, SERVING)
            await service.commands.RegisterCustomer(register(new_id("c")))

            await asyncio.to_thread(store.kill)
            refused = await failure(service.commands.RegisterCustomer(register(new_id("c"))))
            assert refused.code == grpc.StatusCode.UNAVAILABLE
            assert refused.reason == "EVENT_STORE_UNAVAILABLE"
            await _health_becomes(service, NOT_SERVING)

            await asyncio.to_thread(store.start)
            await _health_becomes(service, SERVING)
            customer_id = new_id("c")
            await service.commands.RegisterCustomer(register(customer_id))
            assert len(await service.events(f"customer-{customer_id}")) == 1
    finally:
        await asyncio.to_thread(store.terminate)


async def test_the_server_offers_reflection_of_its_services(write_service: WriteService) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(write_service.channel)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    responses = [response async for response in stub.ServerReflectionInfo(iter([request]))]
    names = {service.name for service in responses[0].list_services_response.service}
    assert {"orders.v1.CommandService", "grpc.health.v1.Health"} <= names
