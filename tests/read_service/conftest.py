"""Read-service fixtures: a QueryService on a free port over a fresh database of SecantusDB."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from tests.mongo_process import MongoProcess
from tests.read_service.read_harness import ReadService, running_read_service, settings_for

Doc = dict[str, Any]


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


@pytest.fixture
async def own_mongo(tmp_path: Path) -> AsyncIterator[MongoProcess]:
    """A SecantusDB of the test's own, which it may kill and start again."""
    process = MongoProcess(tmp_path / "secantus")
    process.start()
    yield process
    process.kill()


@pytest.fixture
async def read_service_on_own_mongo(
    own_mongo: MongoProcess, mongo_db_name: str
) -> AsyncIterator[ReadService]:
    """A read service that notices within half a second when `own_mongo` goes away."""
    client: AsyncMongoClient[Doc] = AsyncMongoClient(
        own_mongo.uri, serverSelectionTimeoutMS=500, connectTimeoutMS=500
    )
    projector: AsyncMongoClient[Doc] = AsyncMongoClient(own_mongo.uri, tz_aware=True)
    settings = replace(settings_for(mongo_db_name), mongo_timeout_seconds=0.5)
    try:
        async with running_read_service(client, projector, settings) as service:
            yield service
    finally:
        await client.close()
        await projector.close()
