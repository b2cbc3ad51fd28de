"""The projector's rebuild in its own process, with its stages timed; one JSON line out.

`python -m bench.rebuild_runner rebuild|raw-read EVENTSTORE_URI MONGO_URI DATABASE`

rebuild: runs `projector.rebuild.rebuild` (what `python -m projector rebuild` runs) with its
two stages wrapped in timers: the catch-up read folded into memory (`replay_into_memory`) and
the Mongo write stage (`write_model`, unordered bulk inserts of every read-model document).
Then, as the baseline of that write stage, it writes the very documents `write_model` was
given once more, raw, into scratch collections of the same database: one unordered
`bulk_write` per collection, all collections at once as `write_model` does, only the writes
timed.

raw-read: the baseline of the whole rebuild, a catch-up read of the same events ($all filtered
to our streams) with the same client and nothing done with them.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from kurrentdbclient import AsyncKurrentDBClient, RecordedEvent
from pymongo import AsyncMongoClient, InsertOne

import projector.rebuild as rebuild_module
from projector.__main__ import configure_logging
from projector.batch_writer import BatchWriter
from projector.event_source import OUR_STREAMS_FILTER, read_all_events, read_revisions
from projector.memory_model import MemoryModel
from projector.versions import Database

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


async def _raw_bulk_write(db: Database, model: MemoryModel) -> tuple[float, int]:
    now = datetime.now(UTC)
    sources = {
        "summaries": model.summaries.values(),
        "details": model.details.values(),
        "customers": model.customers.values(),
        "sales_by_status": model.sales_by_status.values(),
        "sales_by_day": model.sales_by_day.values(),
    }
    requests = {
        name: [InsertOne({**doc, "projected_at": now}) for doc in docs]
        for name, docs in sources.items()
    }
    for name in requests:
        await db.drop_collection(f"bench_scratch_{name}")
    started = time.perf_counter()
    await asyncio.gather(
        *(
            db[f"bench_scratch_{name}"].bulk_write(chunk, ordered=False)
            for name, chunk in requests.items()
            if chunk
        )
    )
    elapsed = time.perf_counter() - started
    for name in requests:
        await db.drop_collection(f"bench_scratch_{name}")
    return elapsed, sum(len(chunk) for chunk in requests.values())


async def _rebuild(
    eventstore: AsyncKurrentDBClient, mongo: AsyncMongoClient[Any], name: str
) -> dict[str, Any]:
    db = mongo[name]
    series: list[tuple[float, int]] = []
    tally = [0]
    stages: dict[str, float] = {}
    models: list[MemoryModel] = []
    replay, write = rebuild_module.replay_into_memory, rebuild_module.write_model

    async def timed_replay(*args: Any, **kwargs: Any) -> MemoryModel:
        started = time.perf_counter()
        model = await replay(*args, **kwargs)
        stages["replay_seconds"] = time.perf_counter() - started
        return model

    async def timed_write(db: Database, version: int, model: MemoryModel) -> None:
        started = time.perf_counter()
        await write(db, version, model)
        stages["write_seconds"] = time.perf_counter() - started
        models.append(model)

    t0 = time.perf_counter()
    rebuild_module.replay_into_memory = timed_replay
    rebuild_module.write_model = timed_write
    rebuild_module.read_all_events = _counting(read_all_events, series, tally, t0)  # type: ignore[attr-defined]

    def writer_for(version: int | None) -> BatchWriter:
        return BatchWriter(mongo, name, partial(read_revisions, eventstore), version=version)

    # grace=0: no live projector runs in the benchmark, so nothing needs waiting for.
    await rebuild_module.rebuild(eventstore, writer_for, db, grace=0.0)
    total = time.perf_counter() - t0
    # This process's CPU up to the end of the rebuild, start-up and imports included.
    cpu = time.process_time()
    model = models[0]
    raw_seconds, documents = await _raw_bulk_write(db, model)
    return {
        "seconds": total,
        "cpu_seconds": cpu,
        **stages,
        "raw_bulk_write_seconds": raw_seconds,
        "documents": documents,
        "counts": dict(model.counts),
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
