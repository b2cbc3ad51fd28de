"""The projector's rebuild in its own process, with its stages timed; one JSON line out.

`python -m bench.rebuild_runner rebuild|raw-read EVENTSTORE_URI MONGO_URI DATABASE`

rebuild: runs `projector.rebuild.rebuild` (what `python -m projector rebuild` runs), timing
its stages without changing them: the catch-up read folded into memory (`replay_into_memory`,
during which the bulk loader already writes finished orders in the background), the Mongo
write stage (the time spent inside every `bulk_write` call, which the loader makes one after
the other) and creating the indexes (`ensure_collections`). Then, as the baseline
of the write stage, the documents the rebuild produced are read back and written once more,
raw, into scratch collections of the same database: one unordered `bulk_write` per
collection, all collections at once, only the writes timed (the scratch collections have no
secondary indexes).

raw-read: the baseline of the whole rebuild, a catch-up read of the same events ($all filtered
to our streams) with the same client and nothing done with them.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Any

from kurrentdbclient import AsyncKurrentDBClient, RecordedEvent
from pymongo import AsyncMongoClient, InsertOne
from pymongo.asynchronous.collection import AsyncCollection

import projector.rebuild as rebuild_module
from orders_contracts.read_models import PROJECTION_STATUS, VERSIONED_COLLECTIONS, collection_name
from orders_runtime.logs import configure_logging
from projector.batch_writer import BatchWriter
from projector.event_source import OUR_STREAMS_FILTER, read_all_events, read_revisions
from projector.memory_model import MemoryModel
from projector.versions import Database, ensure_collections

PROGRESS_EVERY = 2000


def _counting(
    read: Callable[..., AsyncIterator[RecordedEvent]],
    series: list[tuple[float, int]],
    tally: list[int],
    t0: float,
) -> Callable[..., AsyncIterator[RecordedEvent]]:
    async def counted(*args: Any, **kwargs: Any) -> AsyncIterator[RecordedEvent]:
        async for recorded in read(*args, **kwargs):
            tally[0] += 1
            if tally[0] % PROGRESS_EVERY == 0:
                series.append((time.perf_counter() - t0, tally[0]))
            yield recorded

    return counted


async def _raw_bulk_write(db: Database, version: int) -> tuple[float, int]:
    """The documents the rebuild produced, written again raw: only the writes are timed."""
    requests: dict[str, list[InsertOne[Any]]] = {}
    for base in VERSIONED_COLLECTIONS:
        if base == PROJECTION_STATUS:
            continue
        documents = await db[collection_name(base, version)].find().to_list()
        requests[base] = [InsertOne(document) for document in documents]
    for base in requests:
        await db.drop_collection(f"bench_scratch_{base}")
    started = time.perf_counter()
    await asyncio.gather(
        *(
            db[f"bench_scratch_{base}"].bulk_write(chunk, ordered=False)
            for base, chunk in requests.items()
            if chunk
        )
    )
    elapsed = time.perf_counter() - started
    for base in requests:
        await db.drop_collection(f"bench_scratch_{base}")
    return elapsed, sum(len(chunk) for chunk in requests.values())


class _WriteClock:
    """Time spent inside bulk_write by the rebuild's loader (its writes are sequential)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.documents = 0
        self._original = AsyncCollection.bulk_write

    def install(self) -> None:
        original, clock = self._original, self

        async def timed(
            collection: AsyncCollection[Any], requests: Any, *args: Any, **kwargs: Any
        ) -> Any:
            started = time.perf_counter()
            outcome = await original(collection, requests, *args, **kwargs)
            clock.seconds += time.perf_counter() - started
            clock.documents += len(requests)
            return outcome

        AsyncCollection.bulk_write = timed  # type: ignore[method-assign,assignment]

    def remove(self) -> None:
        AsyncCollection.bulk_write = self._original  # type: ignore[method-assign]


async def _rebuild(
    eventstore: AsyncKurrentDBClient, mongo: AsyncMongoClient[Any], name: str
) -> dict[str, Any]:
    db = mongo[name]
    series: list[tuple[float, int]] = []
    tally = [0]
    stages: dict[str, float] = {"index_build_seconds": 0.0}
    replay = rebuild_module.replay_into_memory

    async def timed_replay(*args: Any, **kwargs: Any) -> MemoryModel:
        started = time.perf_counter()
        model = await replay(*args, **kwargs)
        stages["replay_seconds"] = time.perf_counter() - started
        return model

    async def timed_ensure(*args: Any, **kwargs: Any) -> None:
        started = time.perf_counter()
        await ensure_collections(*args, **kwargs)
        if kwargs.get("indexes", True):
            stages["index_build_seconds"] += time.perf_counter() - started

    clock = _WriteClock()
    t0 = time.perf_counter()
    rebuild_module.replay_into_memory = timed_replay
    rebuild_module.ensure_collections = timed_ensure  # type: ignore[attr-defined]
    rebuild_module.read_all_events = _counting(read_all_events, series, tally, t0)  # type: ignore[attr-defined]

    def writer_for(version: int | None) -> BatchWriter:
        return BatchWriter(mongo, name, partial(read_revisions, eventstore), version=version)

    clock.install()
    try:
        # grace=0: no live projector runs in the benchmark, so nothing needs waiting for.
        version = await rebuild_module.rebuild(eventstore, writer_for, db, grace=0.0)
    finally:
        clock.remove()
    total = time.perf_counter() - t0
    # This process's CPU up to the end of the rebuild, start-up and imports included.
    cpu = time.process_time()
    # Tells the bench to stop metering the stores' CPU before the baseline writes.
    print("rebuilt", flush=True)
    raw_seconds, documents = await _raw_bulk_write(db, version)
    return {
        "seconds": total,
        "cpu_seconds": cpu,
        **stages,
        "bulk_write_seconds": clock.seconds,
        "bulk_write_documents": clock.documents,
        "raw_bulk_write_seconds": raw_seconds,
        "documents": documents,
        "events": tally[0],
        "series": series,
    }


async def _raw_read(eventstore: AsyncKurrentDBClient) -> dict[str, Any]:
    series: list[tuple[float, int]] = []
    started = time.perf_counter()
    count = 0
    response = await eventstore.read_all(
        filter_include=OUR_STREAMS_FILTER, filter_by_stream_name=True
    )
    async for _ in response:
        count += 1
        if count % PROGRESS_EVERY == 0:
            series.append((time.perf_counter() - started, count))
    return {"seconds": time.perf_counter() - started, "events": count, "series": series}


async def _main(mode: str, eventstore_uri: str, mongo_uri: str, database: str) -> None:
    eventstore = AsyncKurrentDBClient(eventstore_uri)
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_uri, tz_aware=True)
    try:
        await eventstore.connect()
        if mode == "rebuild":
            outcome = await _rebuild(eventstore, mongo, database)
        else:
            outcome = await _raw_read(eventstore)
    finally:
        await eventstore.close()
        await mongo.close()
    print(json.dumps(outcome), flush=True)


if __name__ == "__main__":
    configure_logging("WARNING")
    asyncio.run(_main(*sys.argv[1:5]))
