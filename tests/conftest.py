"""Shared fixtures: the real embedded servers, each started on a free port.

The event store is `eventstore_lite` (our KurrentDB-protocol server); MongoDB's stand-in is
SecantusDB, run as its own process because it is GPL-2.0 and must never be imported.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest

from eventstore_lite.testing import run_eventstore
from tests.mongo_process import MongoProcess


def _dump_tasks(signum: int, frame: FrameType | None) -> None:
    """`kill -USR1 <pytest pid>` prints what every task of the running event loop awaits: a
    hung asyncio test shows only an idle selector in a thread dump."""
    try:
        tasks = asyncio.all_tasks(asyncio.get_running_loop())
    except RuntimeError:  # no loop running in the main thread right now
        tasks = set()
    for task in tasks:
        task.print_stack(file=sys.stderr)


def pytest_configure(config: pytest.Config) -> None:
    signal.signal(signal.SIGUSR1, _dump_tasks)
    # Services started by tests (and the `orders` CLI run in this process) go without TLS and
    # bearer tokens unless a test sets them up: tests/security does, with ORDERS_AUTH=on.
    os.environ["ORDERS_AUTH"] = "off"


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
