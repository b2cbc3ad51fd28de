"""Read-service fixtures: a QueryService on a free port over a fresh database of SecantusDB."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient

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
