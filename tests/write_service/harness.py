"""A real write service on a free port, against the embedded event store, called through stubs."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import grpc
from kurrentdbclient import AsyncKurrentDBClient, RecordedEvent
from kurrentdbclient.exceptions import NotFoundError, ProgrammingError

from orders.v1 import command_service_pb2_grpc
from write_service.server import WriteServer, build_server
from write_service.settings import Settings


@dataclass
class WriteService:
    server: WriteServer
    port: int
    channel: grpc.aio.Channel
    commands: command_service_pb2_grpc.CommandServiceAsyncStub
    store: AsyncKurrentDBClient

    async def events(self, stream: str) -> tuple[RecordedEvent, ...]:
        try:
            return await self.store.get_stream(stream)
        except NotFoundError:
            return ()


@asynccontextmanager
async def running_write_service(uri: str, **overrides: object) -> AsyncIterator[WriteService]:
    defaults: dict[str, object] = {"port": 0, "health_interval": 0.1, "store_timeout": 2.0}
    settings = Settings(**{**defaults, **overrides})  # type: ignore[arg-type]
    store = AsyncKurrentDBClient(uri)
    server, port = await build_server(settings, store)
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield WriteService(
            server, port, channel, command_service_pb2_grpc.CommandServiceStub(channel), store
        )
    finally:
        await channel.close()
        await server.stop(grace=1)
        with contextlib.suppress(ProgrammingError):
            await store.close()
