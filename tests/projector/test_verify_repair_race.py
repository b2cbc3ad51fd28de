"""A repair planned before a live batch moved its documents: the batch is never undone."""

from __future__ import annotations

from orders_contracts.events import OrderPlaced
from orders_contracts.read_models import collection_name
from projector.event_source import from_recorded, read_all_events, read_revisions
from projector.verify import plan_repair, repair_read_models, verify_read_models
from projector.verify_repair import repair
from tests.projector.projector_harness import connect
from tests.projector.projector_history import append_history, generate
from tests.projector.test_live_projection import STATUS_OF


async def test_a_repair_skips_a_document_a_batch_moved_and_still_corrects_its_counters(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    history = generate(77, customers=6, orders=30)
    streams = [r.stream for r in history]
    stream = next(s for s in streams if s.startswith("order-") and streams.count(s) >= 2)
    last = max(i for i, r in enumerate(history) if r.stream == stream)
    order_id, revision = stream.removeprefix("order-"), streams.count(stream) - 1
    moved_to = STATUS_OF[type(history[last].event).__name__]
    placed = next(r.event for r in history if r.stream == stream)
    assert isinstance(placed, OrderPlaced)
    counter_id = f"{moved_to}|{placed.currency}"

    async with connect(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stores:
        await append_history(stores.eventstore, history[:last] + history[last + 1 :])
        await stores.writer().write(
            [from_recorded(r) async for r in read_all_events(stores.eventstore)]
        )
        summaries = stores.db[collection_name("order_summaries", 1)]
        await summaries.update_one({"_id": order_id}, {"$set": {"customer_name": "Mallory"}})
        await stores.db[collection_name("sales_by_status", 1)].update_one(
            {"_id": counter_id}, {"$inc": {"orders": 5}}
        )
        verification, plan = await plan_repair(stores.eventstore, stores.mongo, mongo_db_name)

        # A live batch moves the order, and the counter, after the plan was made.
        await append_history(stores.eventstore, [history[last]])
        batch = await read_revisions(stores.eventstore, stream, range(revision, revision + 1))
        await stores.writer().write(batch)
        result = await repair(stores.mongo, mongo_db_name, plan)

        moved = await summaries.find_one({"_id": order_id})
        after = await verify_read_models(stores.eventstore, stores.mongo, mongo_db_name)
        report = await repair_read_models(stores.eventstore, stores.mongo, mongo_db_name)

    assert {(d.collection, d.doc_id) for d in verification.divergences} == {
        ("order_summaries", order_id),
        ("sales_by_status", counter_id),
    }
    assert (result.outcome, result.documents, result.skipped, result.counters) == (
        "committed",
        0,
        1,
        1,
    )
    assert moved is not None
    assert moved["revision"] == revision, "the batch's write must not be undone"
    assert moved["status"] == moved_to
    assert [(d.collection, d.doc_id, d.fields) for d in after.divergences] == [
        ("order_summaries", order_id, ("customer_name",))
    ]
    assert report.after.clean
