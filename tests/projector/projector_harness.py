"""Running projectors in tests, and reading what they wrote."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from kurrentdbclient import AsyncKurrentDBClient
from pymongo import AsyncMongoClient

from orders_contracts.read_models import (
    PROJECTION_STATUS,
    SALES_BY_DAY,
    SALES_BY_STATUS,
    VERSIONED_COLLECTIONS,
    collection_name,
)
from orders_runtime.backoff import Backoff
from projector.analytics_shards import merged_shards
from projector.batch_writer import BatchWriter
from projector.consumer import AfterWrite, BatchSettings, Consumer
from projector.event_source import eventstore_client, read_revisions
from projector.health_server import serve_projector
from projector.projector_state import StateBoard
from projector.rebuild import replay_into_memory, write_model
from projector.subscription_group import GroupSettings
from projector.versions import Database, ensure_collections, ensure_pointer

Doc = dict[str, Any]
Dump = dict[str, list[Doc]]


async def dump(db: Database, version: int = 1) -> Dump:
    """Every read model of a version, sorted by id, without wall-clock fields; analytics as
    readers see them, each document the sum of its replicas' shards."""
    out: Dump = {}
    for base in VERSIONED_COLLECTIONS:
        if base == PROJECTION_STATUS:
            continue
        docs = await db[collection_name(base, version)].find({}).sort("_id", 1).to_list(None)
        for doc in docs:
            doc.pop("projected_at", None)
        if base in (SALES_BY_STATUS, SALES_BY_DAY):
            merged = merged_shards({str(doc["_id"]): doc for doc in docs})
            docs = [merged[doc_id] for doc_id in sorted(merged)]
        out[base] = docs
    return out


@dataclass
class Stores:
    eventstore_uri: str
    eventstore: AsyncKurrentDBClient
    mongo: AsyncMongoClient[Doc]
    database: str

    @property
    def db(self) -> Database:
        return self.mongo[self.database]

    def writer(self, version: int | None = None) -> BatchWriter:
        return BatchWriter(
            self.mongo, self.database, partial(read_revisions, self.eventstore), version=version
        )


@contextlib.asynccontextmanager
async def connect(eventstore_uri: str, mongo_uri: str, database: str) -> AsyncIterator[Stores]:
    eventstore = AsyncKurrentDBClient(eventstore_uri)
    await eventstore.connect()
    mongo: AsyncMongoClient[Doc] = AsyncMongoClient(mongo_uri, tz_aware=True)
    try:
        await ensure_pointer(mongo[database])
        await ensure_collections(mongo[database], 1)
        yield Stores(eventstore_uri, eventstore, mongo, database)
    finally:
        await eventstore.close()
        await mongo.close()


@dataclass
class Replica:
    task: asyncio.Task[None]
    consumer: Consumer
    health_port: int


@contextlib.asynccontextmanager
async def running_replica(
    stores: Stores,
    group: GroupSettings,
    batch: BatchSettings | None = None,
    *,
    after_write: AfterWrite | None = None,
    eventstore_uri: str | None = None,
    watch_uri: str | None = None,
    mongo: AsyncMongoClient[Doc] | None = None,
    stall_seconds: float = 30.0,
) -> AsyncIterator[Replica]:
    """A projector replica on its own event-store connections (``eventstore_uri``, e.g. through
    a proxy, else the stores'; ``watch_uri`` for the stall watch's), with its health service
    on a free port; stopped on exit."""
    uri = eventstore_uri or stores.eventstore_uri
    eventstore, watch = eventstore_client(uri), eventstore_client(watch_uri or uri)
    await eventstore.connect()
    await watch.connect()
    mongo = mongo or stores.mongo
    writer = BatchWriter(mongo, stores.database, partial(read_revisions, eventstore))
    board = StateBoard()
    running = await serve_projector(board, "127.0.0.1", 0)
    health, port = running.server, running.port
    consumer = Consumer(
        eventstore,
        mongo[stores.database],
        writer,
        group,
        batch or BatchSettings(),
        after_write=after_write,
        board=board,
        stall_seconds=stall_seconds,
        watch_eventstore=watch,
        backoff=Backoff(initial=0.05, maximum=0.5),
    )
    task = asyncio.create_task(consumer.run())
    try:
        yield Replica(task, consumer, port)
    finally:
        consumer.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 15)
        await health.stop(grace=None)
        await watch.close()
        await eventstore.close()


@contextlib.asynccontextmanager
async def running_projector(
    stores: Stores,
    group: GroupSettings,
    batch: BatchSettings | None = None,
    *,
    after_write: AfterWrite | None = None,
) -> AsyncIterator[asyncio.Task[None]]:
    """A projector replica on its own event-store connection; stopped gracefully on exit."""
    async with running_replica(stores, group, batch, after_write=after_write) as replica:
        yield replica.task


async def clean_replay(
    eventstore: AsyncKurrentDBClient, mongo: AsyncMongoClient[Doc], database: str
) -> Dump:
    """The reference: one sequential catch-up read of $all, written once."""
    db = mongo[database]
    await ensure_collections(db, 1)
    await write_model(db, 1, await replay_into_memory(eventstore))
    return await dump(db, 1)


async def status(db: Database, version: int = 1, model: str = "order_summaries") -> Doc:
    found = await db[collection_name(PROJECTION_STATUS, version)].find_one({"_id": model})
    return found or {}
