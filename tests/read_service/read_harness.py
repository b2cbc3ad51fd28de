"""A QueryService on a free port over a database of SecantusDB, called through its stubs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

import grpc
from pymongo import AsyncMongoClient

from orders.v1 import query_service_pb2_grpc
from read_service.server import ReadServer, build_server
from read_service.settings import Settings
from tests.read_service.order_history import History
from tests.read_service.read_model_seed import project
from tests.waiting import wait_until

Doc = dict[str, Any]


@dataclass
class ReadService:
    stub: query_service_pb2_grpc.QueryServiceAsyncStub
    channel: grpc.aio.Channel
    server: ReadServer
    client: AsyncMongoClient[Doc]
    projector_client: AsyncMongoClient[Doc]
    database: str
    history: History
    port: int

    async def project_pending(self, *, record: bool = True) -> None:
        """Project every event appended to the history since the last call, as one batch."""
        pending = self.history.take_unprojected()
        await project(self.projector_client, self.database, self.history, pending, record=record)


def settings_for(database: str, **overrides: Any) -> Settings:
    settings = Settings(
        host="127.0.0.1",
        port=0,
        mongo_database=database,
        mongo_timeout_seconds=1.0,
        health_ping_seconds=0.2,
        consistency_max_wait_seconds=10.0,
        # Waiters are woken only by the watcher's notifications, never by the safety recheck,
        # so a test that waits proves the notification path.
        consistency_recheck_seconds=30.0,
    )
    return replace(settings, **overrides)


@asynccontextmanager
async def running_read_service(
    client: AsyncMongoClient[Doc], projector_client: AsyncMongoClient[Doc], settings: Settings
) -> AsyncIterator[ReadService]:
    server, port = build_server(settings, client)
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield ReadService(
            stub=query_service_pb2_grpc.QueryServiceStub(channel),
            channel=channel,
            server=server,
            client=client,
            projector_client=projector_client,
            database=settings.mongo_database,
            history=History(),
            port=port,
        )
    finally:
        await channel.close()
        await server.stop(0)


async def feed_following(service: ReadService) -> None:
    """Wait until the service's change feed is open."""

    async def following() -> bool:
        return service.server.feed.following

    await wait_until(following, "the change feed following")
