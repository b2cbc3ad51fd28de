"""Projector fixtures: one event store holding the seeded history, shared by this folder."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from kurrentdbclient import AsyncKurrentDBClient

from eventstore_lite.testing import run_eventstore
from tests.projector.projector_history import Recorded, append_history, generate

SEED = 2026


@pytest.fixture(scope="session")
def history() -> list[Recorded]:
    return generate(SEED)


async def _append(uri: str, history: list[Recorded]) -> None:
    client = AsyncKurrentDBClient(uri)
    await client.connect()
    try:
        await append_history(client, history)
    finally:
        await client.close()


@pytest.fixture(scope="session")
def history_uri(tmp_path_factory: pytest.TempPathFactory, history: list[Recorded]) -> Iterator[str]:
    """An event store holding exactly the history (nothing else ever appends to it)."""
    with run_eventstore(tmp_path_factory.mktemp("projector_history")) as uri:
        asyncio.run(_append(uri, history))
        yield uri
