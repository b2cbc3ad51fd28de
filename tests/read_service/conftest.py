"""Read-service fixtures: a QueryService on a free port over a fresh database of SecantusDB."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

import grpc
import pytest
from order_history import History
from pymongo import AsyncMongoClient
from read_model_seed import project

from orders.v1 import query_service_pb2_grpc
from read_service.server import ReadServer, build_server
from read_service.settings import Settings

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

    async def project_pending(self) -> None:
        """Project every event appended to the history since the last call, as one batch."""
        pending = self.history.take_unprojected()
        await project(self.projector_client, self.database, self.history, pending)


def settings_for(database: str, **overrides: Any) -> Settings:
    settings = Settings(
        host="127.0.0.1",
        port=0,
        mongo_database=database,
        mongo_timeout_seconds=1.0,
        health_ping_seconds=0.2,
        consistency_max_wait_seconds=5.0,
    )
    return replace(settings, **overrides)


@pytest.fixture
async def mongo_client(mongo_uri: str) -> AsyncIterator[AsyncMongoClient[Doc]]:
    client: AsyncMongoClient[Doc] = AsyncMongoClient(mongo_uri, serverSelectionTimeoutMS=2000)
    yield client
    await client.close()


@pytest.fixture
async def projector_client(mongo_uri: str) -> AsyncIterator[AsyncMongoClient[Doc]]:
    # Configured as the projector configures its own client.
    client: AsyncMongoClient[Doc] = AsyncMongoClient(mongo_uri, tz_aware=True)
    yield client
    await client.close()


@pytest.fixture
async def read_service(
    mongo_client: AsyncMongoClient[Doc],
    projector_client: AsyncMongoClient[Doc],
    mongo_db_name: str,
) -> AsyncIterator[ReadService]:
    settings = settings_for(mongo_db_name)
    async with running_read_service(mongo_client, projector_client, settings) as service:
        yield service
    await mongo_client.drop_database(mongo_db_name)


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
        )
    finally:
        await channel.close()
        await server.stop(0)
