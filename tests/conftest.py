"""Shared fixtures: the real embedded servers, each started on a free port.

The event store is `eventstore_lite` (our KurrentDB-protocol server); MongoDB's stand-in is
SecantusDB, run as its own process because it is GPL-2.0 and must never be imported.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from eventstore_lite.testing import run_eventstore
from tests.mongo_process import MongoProcess


@pytest.fixture(scope="session")
def eventstore_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with run_eventstore(tmp_path_factory.mktemp("eventstore")) as uri:
        yield uri


@pytest.fixture
def fresh_eventstore_uri(tmp_path: Path) -> Iterator[str]:
    with run_eventstore(tmp_path / "eventstore") as uri:
        yield uri


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    process = MongoProcess(tmp_path_factory.mktemp("secantus"))
    process.start()
    try:
        yield process.uri
    finally:
        process.stop()


@pytest.fixture
def mongo_db_name() -> str:
    return f"test_{uuid.uuid4().hex[:12]}"
