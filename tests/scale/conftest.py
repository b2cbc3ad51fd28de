"""A MongoDB client a scale test keeps after its replicas stop, to read what they left, and the
stores its replicas share."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pymongo import AsyncMongoClient

from tests.scale.replicas import Doc, ScaleStores


@pytest.fixture
async def mongo(mongo_uri: str) -> AsyncIterator[AsyncMongoClient[Doc]]:
    client: AsyncMongoClient[Doc] = AsyncMongoClient(mongo_uri, tz_aware=True)
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
def scale(
    mongo: AsyncMongoClient[Doc],
    fresh_eventstore_uri: str,
    mongo_uri: str,
    mongo_db_name: str,
    tmp_path: Path,
) -> ScaleStores:
    return ScaleStores(mongo, fresh_eventstore_uri, mongo_uri, mongo_db_name, tmp_path)
