"""Writing a replay's documents into a version's empty collections, overlapping the replay.

Orders in a final status are written as soon as the replay finishes them, by a background task,
while the replay reads on; the rest is written at the end, and a finished order that changed
after all (an event the domain did not expect) is replaced then.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from msgspec import Struct
from pymongo import InsertOne, ReplaceOne

from orders_contracts.read_models import (
    CUSTOMERS,
    ORDER_DETAILS,
    ORDER_SUMMARIES,
    SALES_BY_DAY,
    SALES_BY_STATUS,
    OrderDetailsDoc,
    OrderSummaryDoc,
    collection_name,
    to_document,
)
from orders_contracts.stored_sums import to_store
from projector.durable import durable
from projector.memory_model import MemoryModel
from projector.versions import Database

FINAL_STATUSES = frozenset({"DELIVERED", "CANCELLED"})
WRITE_CHUNK = 2000

Write = InsertOne[Any] | ReplaceOne[Any]


class BulkLoader:
    """Streams finished orders into the collections from a background task during a replay."""

    def __init__(self, db: Database, version: int, now: datetime) -> None:
        self._db = durable(db)
        self._version = version
        self._now = now
        self._queue: asyncio.Queue[tuple[str, list[Write]] | None] = asyncio.Queue(maxsize=4)
        self._task = asyncio.create_task(self._drain())

    async def _drain(self) -> None:
        while (item := await self._queue.get()) is not None:
            name, ops = item
            await self._db[name].bulk_write(ops, ordered=False)

    async def _send(self, base: str, ops: Sequence[Write]) -> None:
        if self._task.done():
            await self._task  # the writer failed: raise its error here
        name = collection_name(base, self._version)
        for start in range(0, len(ops), WRITE_CHUNK):
            await self._queue.put((name, list(ops[start : start + WRITE_CHUNK])))

    async def after_chunk(self, model: MemoryModel) -> None:
        finished = [
            order_id
            for order_id in model.take_touched()
            if order_id not in model.stored and model.summaries[order_id].status in FINAL_STATUSES
        ]
        for order_id in finished:
            model.stored[order_id] = model.summaries[order_id].revision
        if finished:
            summaries = [_insert(model.summaries[i], self._now) for i in finished]
            await self._send(ORDER_SUMMARIES, summaries)
            await self._send(
                ORDER_DETAILS, [_insert(model.details[i], self._now) for i in finished]
            )

    async def close(self) -> None:
        """Wait until everything sent is written."""
        await self._queue.put(None)
        await self._task


def _insert(doc: Struct | Mapping[str, Any], now: datetime) -> InsertOne[Any]:
    document = to_document(doc) if isinstance(doc, Struct) else doc
    return InsertOne({**document, "projected_at": now})


def _inserts(base: str, docs: Iterable[Struct | Mapping[str, Any]], now: datetime) -> list[Write]:
    # The memory model sums with Python ints; the store holds sums as Decimal128.
    return [_insert(to_store(base, doc), now) for doc in docs]


def _unstored(
    docs: Mapping[str, OrderSummaryDoc | OrderDetailsDoc], stored: dict[str, int], now: datetime
) -> list[Write]:
    ops: list[Write] = []
    for order_id, doc in docs.items():
        revision = stored.get(order_id)
        if revision is None:
            ops.append(_insert(doc, now))
        elif revision != doc.revision:
            ops.append(ReplaceOne({"_id": order_id}, {**to_document(doc), "projected_at": now}))
    return ops


async def write_unstored(db: Database, version: int, model: MemoryModel) -> None:
    """Every document of a replay not already stored as it is, in unordered bulk writes."""
    db = durable(db)
    now = datetime.now(UTC)
    for base, ops in (
        (ORDER_SUMMARIES, _unstored(model.summaries, model.stored, now)),
        (ORDER_DETAILS, _unstored(model.details, model.stored, now)),
        (CUSTOMERS, _inserts(CUSTOMERS, model.customers.values(), now)),
        (SALES_BY_STATUS, _inserts(SALES_BY_STATUS, model.sales_by_status.values(), now)),
        (SALES_BY_DAY, _inserts(SALES_BY_DAY, model.sales_by_day.values(), now)),
    ):
        for start in range(0, len(ops), WRITE_CHUNK):
            await db[collection_name(base, version)].bulk_write(
                ops[start : start + WRITE_CHUNK], ordered=False
            )
