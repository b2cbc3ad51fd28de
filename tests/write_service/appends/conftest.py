"""Fixtures of the append tests: the embedded event store, shared or of the test's own (to
kill, restart or pause it), and connected clients of it."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest
from kurrentdbclient import AsyncKurrentDBClient

from eventstore_lite.testing import EventStoreProcess


@pytest.fixture
def stream() -> str:
    return f"appends-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def client(eventstore_uri: str) -> AsyncIterator[AsyncKurrentDBClient]:
    connected = AsyncKurrentDBClient(eventstore_uri)
    await connected.connect()
    yield connected
    await connected.close()


@pytest.fixture
async def own_client(fresh_eventstore: EventStoreProcess) -> AsyncIterator[AsyncKurrentDBClient]:
    connected = AsyncKurrentDBClient(fresh_eventstore.uri)
    await connected.connect()
    yield connected
    with contextlib.suppress(Exception):  # a test may leave the store killed
        await connected.close()
