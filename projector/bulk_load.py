"""Writing a replay's documents into a version's empty collections, overlapping the replay.

Orders in a final status are written as soon as the replay finishes them, by a background task,
while the replay reads on; the rest is written at the end, and a finished order that changed
after all (an event the domain did not expect) is replaced then.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from pymongo import InsertOne, ReplaceOne

from orders_contracts.read_models import (
    CUSTOMERS,
    ORDER_DETAILS,
    ORDER_SUMMARIES,
    SALES_BY_DAY,
    SALES_BY_STATUS,
    collection_name,
)
from projector.memory_model import MemoryModel
from projector.versions import Database

FINAL_STATUSES = frozenset({"DELIVERED", "CANCELLED"})
WRITE_CHUNK = 2000

Write = InsertOne[Any] | ReplaceOne[Any]


class BulkLoader:
    def __init__(self, db: Database, version: int, now: datetime) -> None:
        self._db = db
        self._version = version
        self._now = now
        self._written: dict[str, int] = {}
        self._queue: asyncio.Queue[tuple[str, list[Write]] | None] = asyncio.Queue(maxsize=4)
        self._task = asyncio.create_task(self._drain())

    async def _drain(self) -> None:
        while (item := await self._queue.get()) is not None:
            name, ops = item
            await self._db[name].bulk_write(ops, ordered=False)

    async def _send(self, base: str, ops: list[Write]) -> None:
        if self._task.done():
            await self._task  # the writer failed: raise its error here
        name = collection_name(base, self._version)
        for start in range(0, len(ops), WRITE_CHUNK):
            await self._queue.put((name, ops[start : start + WRITE_CHUNK]))

    def _stamp(self, doc: Any) -> dict[str, Any]:
        return {**doc, "projected_at": self._now}

    async def after_chunk(self, model: MemoryModel) -> None:
        finished = [
            order_id
            for order_id in model.take_touched()
            if order_id not in self._written
            and model.summaries[order_id]["status"] in FINAL_STATUSES
        ]
        if not finished:
            return
        for order_id in finished:
            self._written[order_id] = model.summaries[order_id]["revision"]
        await self._send(
            ORDER_SUMMARIES, [InsertOne(self._stamp(model.summaries[i])) for i in finished]
        )
        await self._send(
            ORDER_DETAILS, [InsertOne(self._stamp(model.details[i])) for i in finished]
        )

    def _rest(self, docs: dict[str, Any]) -> list[Write]:
        ops: list[Write] = []
        for order_id, doc in docs.items():
            written = self._written.get(order_id)
            if written is None:
                ops.append(InsertOne(self._stamp(doc)))
            elif written != doc["revision"]:
                ops.append(ReplaceOne({"_id": order_id}, self._stamp(doc)))
        return ops

    async def finish(self, model: MemoryModel) -> None:
        await self._send(ORDER_SUMMARIES, self._rest(model.summaries))
        await self._send(ORDER_DETAILS, self._rest(model.details))
        for base, docs in (
            (CUSTOMERS, model.customers.values()),
            (SALES_BY_STATUS, model.sales_by_status.values()),
            (SALES_BY_DAY, model.sales_by_day.values()),
        ):
            await self._send(base, [InsertOne(self._stamp(doc)) for doc in docs])
        await self._queue.put(None)
        await self._task
