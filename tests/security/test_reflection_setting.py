"""REFLECTION=off takes server reflection away; on (the default) it is served."""

from __future__ import annotations

import contextlib

import grpc
import pytest
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from kurrentdbclient import AsyncKurrentDBClient
from kurrentdbclient.exceptions import ProgrammingError

from write_service.server import build_server
from write_service.settings import Settings


async def listed_services(port: int) -> list[str]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        async for reply in stub.ServerReflectionInfo(iter([request]), timeout=10):
            return [service.name for service in reply.list_services_response.service]
    return []


@pytest.mark.parametrize("reflection", [True, False])
async def test_reflection_is_served_only_when_on(eventstore_uri: str, reflection: bool) -> None:
    store = AsyncKurrentDBClient(eventstore_uri)
    server, port = await build_server(Settings(port=0), store, reflection=reflection)
    await server.start()
    try:
        if reflection:
            assert "orders.v1.CommandService" in await listed_services(port)
        else:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await listed_services(port)
            assert refused.value.code() == grpc.StatusCode.UNIMPLEMENTED
    finally:
        await server.stop(grace=1)
        with contextlib.suppress(ProgrammingError):
            await store.close()
