"""A transaction left open by a replica that died holds its documents until the store gives up on
it (60 seconds in MongoDB and SecantusDB): the writer waits it out, and never blames the events."""

from __future__ import annotations

import asyncio
from typing import Any

from pymongo import AsyncMongoClient, monitoring

from orders_contracts.read_models import ORDER_SUMMARIES, collection_name
from tests.projector.projector_harness import connect
from tests.projector.test_document_cache import one_long_order, writer_on
from tests.waiting import wait_until

WRITE_CONFLICT = 112
# The writer before the fix gave up after three plans of ten conflicting commits each, and
# parked the batch's events as if they contradicted the stored documents.
MORE_CONFLICTS_THAN_THE_OLD_LIMIT = 40


class ConflictCounter(monitoring.CommandListener):
    def __init__(self) -> None:
        self.conflicts = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        pass

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        errors = event.reply.get("writeErrors") or []
        self.conflicts += sum(1 for error in errors if error.get("code") == WRITE_CONFLICT)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        if isinstance(event.failure, dict) and event.failure.get("code") == WRITE_CONFLICT:
            self.conflicts += 1


async def test_documents_held_by_an_abandoned_transaction_are_written_once_it_ends(
    history_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    counter = ConflictCounter()
    observed: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongo_uri, tz_aware=True, event_listeners=[counter]
    )
    async with connect(history_uri, mongo_uri, mongo_db_name) as stores:
        events = await one_long_order(stores)
        order_id = events[0].stream_name.removeprefix("order-")
        summaries = stores.db[collection_name(ORDER_SUMMARIES, 1)]
        await stores.writer().write(events[:1])

        # The dead replica's transaction: it wrote the order's summary and never ended.
        holder = stores.mongo.start_session()
        await holder.start_transaction()
        await summaries.update_one({"_id": order_id}, {"$set": {"held": True}}, session=holder)

        writing = asyncio.create_task(writer_on(stores, observed).write(events[1:2]))

        async def conflicted_long_enough() -> bool:
            return writing.done() or counter.conflicts >= MORE_CONFLICTS_THAN_THE_OLD_LIMIT

        await wait_until(conflicted_long_enough, "the writer meeting the held documents")
        # The store gives up on the abandoned transaction.
        await holder.abort_transaction()
        await holder.end_session()
        changes = await writing
        summary = await summaries.find_one({"_id": order_id})
    await observed.close()

    assert counter.conflicts >= MORE_CONFLICTS_THAN_THE_OLD_LIMIT
    assert changes.counts["applied"] == 1
    assert summary is not None
    assert summary["revision"] == events[1].revision
