"""Projector replicas as operators run them, `python -m projector run` each in its own process,
and what the tests read back of their analytics shards."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from orders_contracts.read_models import collection_name
from orders_runtime import processes
from projector.analytics import logical_id
from projector.versions import Database

Doc = dict[str, Any]


def projector_env(eventstore_uri: str, mongo_uri: str, database: str) -> dict[str, str]:
    return {
        **os.environ,
        "EVENTSTORE_URI": eventstore_uri,
        "MONGO_URI": mongo_uri,
        "MONGO_DATABASE": database,
        "ORDERS_AUTH": "off",
        # Small batches: the replicas' batches interleave many times over the history.
        "PROJECTOR_BATCH_SIZE": "20",
    }


@contextlib.contextmanager
def running_replicas(
    count: int, eventstore_uri: str, mongo_uri: str, database: str, logs: Path
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` live projector replicas of one subscription group; stopped on exit."""
    env = projector_env(eventstore_uri, mongo_uri, database)
    started: list[subprocess.Popen[bytes]] = []
    try:
        for index in range(count):
            started.append(
                processes.start(
                    [sys.executable, "-m", "projector", "run"],
                    env=env,
                    log_file=logs / f"projector_{index}.log",
                )
            )
        yield started
    finally:
        for process in started:
            processes.stop(process)


def run_command(
    command: str, eventstore_uri: str, mongo_uri: str, database: str
) -> subprocess.CompletedProcess[str]:
    """A one-shot projector command (`verify`, `rebuild`), as an operator runs it."""
    return subprocess.run(
        [sys.executable, "-m", "projector", command],
        env=projector_env(eventstore_uri, mongo_uri, database),
        capture_output=True,
        text=True,
        check=False,
    )


async def shards(db: Database, base: str, version: int = 1) -> dict[str, list[Doc]]:
    """Every stored part of each analytics document, by the document's unsharded id."""
    found: dict[str, list[Doc]] = {}
    async for doc in db[collection_name(base, version)].find({}):
        found.setdefault(logical_id(str(doc["_id"])), []).append(doc)
    return found
