"""Projector replicas as operators run them, `python -m projector run` each in its own process,
and what the tests read back of their analytics shards."""

from __future__ import annotations

import contextlib
import os
import random
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kurrentdbclient import StreamState
from pymongo import AsyncMongoClient

from bench.order_events import order_history, records
from orders_contracts.read_models import SALES_BY_DAY, SALES_BY_STATUS, collection_name
from orders_contracts.streams import order_stream
from orders_runtime import processes
from projector.analytics import SHARD_SEPARATOR, logical_id
from projector.analytics_shards import merged_shards
from projector.event_source import eventstore_client
from projector.projector_state import replica_id
from projector.versions import Database
from tests.projector.projector_harness import Dump, clean_replay, dump
from tests.read_service.read_harness import ReadService, running_read_service, settings_for
from tests.waiting import read_until

Doc = dict[str, Any]


def projector_env(
    eventstore_uri: str, mongo_uri: str, database: str, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    return {
        **os.environ,
        "EVENTSTORE_URI": eventstore_uri,
        "MONGO_URI": mongo_uri,
        "MONGO_DATABASE": database,
        "ORDERS_AUTH": "off",
        # Small batches: the replicas' batches interleave many times over the history.
        "PROJECTOR_BATCH_SIZE": "20",
        **(extra or {}),
    }


@contextlib.contextmanager
def running_replicas(
    count: int,
    eventstore_uri: str,
    mongo_uri: str,
    database: str,
    logs: Path,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` live projector replicas of one subscription group; stopped on exit."""
    env = projector_env(eventstore_uri, mongo_uri, database, extra_env)
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


@dataclass(frozen=True)
class ScaleStores:
    """The stores a scale test's replicas share, and the folder their logs go to."""

    mongo: AsyncMongoClient[Doc]
    eventstore_uri: str
    mongo_uri: str
    database: str
    logs: Path

    @property
    def db(self) -> Database:
        return self.mongo[self.database]

    def replicas(
        self, count: int, extra_env: Mapping[str, str] | None = None, *, logs: Path | None = None
    ) -> contextlib.AbstractContextManager[list[subprocess.Popen[bytes]]]:
        return running_replicas(
            count, self.eventstore_uri, self.mongo_uri, self.database, logs or self.logs, extra_env
        )

    async def replay(self, name: str = "replay") -> Dump:
        """A clean replay of the store as it is now, into a database of its own."""
        eventstore = eventstore_client(self.eventstore_uri)
        await eventstore.connect()
        try:
            return await clean_replay(eventstore, self.mongo, f"{self.database}_{name}")
        finally:
            await eventstore.close()

    async def caught_up(self, replay: Dump, what: str) -> Dump:
        """The live read models, once they equal ``replay``."""
        return await read_until(lambda: dump(self.db), lambda live: live == replay, what)

    def read_service(self) -> contextlib.AbstractAsyncContextManager[ReadService]:
        """A read service in the test's process, reading what the replicas wrote."""
        return running_read_service(self.mongo, self.mongo, settings_for(self.database))

    def assert_verify_clean(self) -> None:
        """`python -m projector verify` finds every read-model document equal to a fresh fold."""
        verified = run_command("verify", self.eventstore_uri, self.mongo_uri, self.database)
        assert verified.returncode == 0, verified.stdout + verified.stderr


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


def shard_of(doc: Doc) -> str | None:
    """The replica whose shard the document is; None for an unsharded one."""
    parts = str(doc["_id"]).split(SHARD_SEPARATOR, 2)
    return parts[2] if len(parts) == 3 else None


async def shard_names(db: Database, version: int = 1) -> set[str | None]:
    """The shards of every analytics document of a version (None: the unsharded ones)."""
    return {
        shard_of(doc)
        for base in (SALES_BY_STATUS, SALES_BY_DAY)
        for docs in (await shards(db, base, version)).values()
        for doc in docs
    }


def shard_of_process(process: subprocess.Popen[bytes]) -> str:
    """The shard a replica process writes: its replica id, host and process id."""
    return replica_id(process.pid)


async def analytics(db: Database, version: int = 1) -> dict[str, dict[str, Doc]]:
    """Both analytics read models of a version as readers see them: their shards summed."""
    seen: dict[str, dict[str, Doc]] = {}
    for base in (SALES_BY_STATUS, SALES_BY_DAY):
        docs = db[collection_name(base, version)].find({})
        seen[base] = merged_shards({str(doc["_id"]): doc async for doc in docs})
    return seen


async def append_orders(eventstore_uri: str, customer_id: str, order_ids: list[str]) -> None:
    """More orders of a customer already written, after the store's first history."""
    client = eventstore_client(eventstore_uri)
    await client.connect()
    rng = random.Random(11)
    try:
        for order_id in order_ids:
            await client.append_to_stream(
                order_stream(order_id),
                events=records(order_history(order_id, customer_id, rng)),
                current_version=StreamState.NO_STREAM,
            )
    finally:
        await client.close()
