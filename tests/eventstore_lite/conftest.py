"""Fixtures for the event store's own tests: real server processes on free ports.

One server per test module (tests use unique stream names); tests that need a pristine
log or kill the server take `fresh_eventstore` instead.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from kurrentdbclient import AsyncKurrentDBClient

from eventstore_lite.testing import EventStoreProcess


@pytest.fixture(scope="module")
def eventstore(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EventStoreProcess]:
    process = EventStoreProcess(tmp_path_factory.mktemp("eventstore"))
    process.start()
    yield process
    process.terminate()


async def connect(uri: str) -> AsyncKurrentDBClient:
    connected = AsyncKurrentDBClient(uri)
    await connected.connect()
    return connected


@pytest.fixture
async def client(eventstore: EventStoreProcess) -> AsyncIterator[AsyncKurrentDBClient]:
    connected = await connect(eventstore.uri)
    yield connected
    await connected.close()


# Tests on a shared server name their own groups and streams.
@pytest.fixture
def group() -> str:
    return f"group-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def stream() -> str:
    return f"stream-{uuid.uuid4().hex[:12]}"
