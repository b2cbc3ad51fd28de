"""verify beside live projectors, and read models that survive a kill -9 of SecantusDB."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from orders_contracts.read_models import collection_name
from projector.batch_plan import BatchChanges
from projector.consumer import BatchSettings
from projector.subscription_group import GroupSettings
from projector.verify import (
    RepairReport,
    Verification,
    repair_read_models,
    verify_read_models,
)
from tests.mongo_process import MongoProcess
from tests.projector.projector_harness import (
    Dump,
    Stores,
    clean_replay,
    connect,
    dump,
    running_projector,
)
from tests.projector.projector_history import Recorded, append_history, generate
from tests.projector.test_fault_injection import assert_same
from tests.waiting import wait_until

SEED = 4242


async def _at_head(stores: Stores, history: list[Recorded]) -> bool:
    """Every order and customer document at its stream's last revision."""
    last: dict[str, int] = {}
    for recorded in history:
        last[recorded.stream] = last.get(recorded.stream, -1) + 1
    found: dict[str, int] = {}
    for base, prefix in (("order_summaries", "order-"), ("customers", "customer-")):
        docs = await stores.db[collection_name(base, 1)].find({}, {"revision": 1}).to_list(None)
        found |= {prefix + d["_id"]: d["revision"] for d in docs}
    return all(found.get(stream) == revision for stream, revision in last.items())


@pytest.mark.timeout(300)
async def test_verify_beside_a_live_projector_reports_no_false_divergence(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    history = generate(SEED, customers=12, orders=150)

    async def slow_batch(changes: BatchChanges) -> None:
        await asyncio.sleep(0.05)  # keeps documents behind their streams while verify reads

    verifications: list[Verification] = []
    async with connect(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stores:
        group = GroupSettings(name="verify-live")
        async with running_projector(
            stores, group, BatchSettings(max_size=20), after_write=slow_batch
        ):
            appending = asyncio.create_task(
                append_history(stores.eventstore, history, concurrency=4)
            )
            while not appending.done() or len(verifications) < 3:
                verifications.append(
                    await verify_read_models(stores.eventstore, stores.mongo, mongo_db_name)
                )
            await appending
            await wait_until(lambda: _at_head(stores, history), "every stream projected")
        final = await verify_read_models(
            stores.eventstore, stores.mongo, mongo_db_name, max_behind=0
        )

    assert [v.divergences for v in verifications] == [[] for _ in verifications]
    assert any(v.streams_pending > 0 for v in verifications), "verify never met the projector's lag"
    assert final.clean


async def _corrupt(stores: Stores, earlier: list[Recorded], later: list[Recorded]) -> int:
    """Orders the live projector is about to move, orders it never touches again, and a counter
    every payment moves; the number of documents changed."""
    started = {r.stream for r in earlier if r.stream.startswith("order-")}
    upcoming = sorted(started & {r.stream for r in later})
    finished = sorted(started - set(upcoming))
    summaries = stores.db[collection_name("order_summaries", 1)]
    changed = 0
    for stream in upcoming[:3] + finished[:3]:
        result = await summaries.update_one(
            {"_id": stream.removeprefix("order-")},
            {"$set": {"customer_name": "Mallory", "contribution.amount_minor": 1}},
        )
        changed += result.modified_count
    result = await stores.db[collection_name("sales_by_status", 1)].update_one(
        {"_id": "PAID|EUR"}, {"$inc": {"orders": 5}}
    )
    return changed + result.modified_count


@pytest.mark.timeout(300)
async def test_repairs_beside_a_live_projector_never_undo_its_batches(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    history = generate(SEED + 1, customers=12, orders=120)
    half = len(history) // 2
    earlier, later = history[:half], history[half:]
    group = GroupSettings(name="verify-repair-live")
    async with connect(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stores:
        async with running_projector(stores, group, BatchSettings(max_size=10)):
            await append_history(stores.eventstore, earlier)
            await wait_until(lambda: _at_head(stores, earlier), "the first half projected")
            corrupted = await _corrupt(stores, earlier, later)
            appending = asyncio.create_task(append_history(stores.eventstore, later, concurrency=2))
            reports: list[RepairReport] = []
            while not appending.done() or not reports or reports[-1].after.divergences:
                reports.append(
                    await repair_read_models(stores.eventstore, stores.mongo, mongo_db_name)
                )
            await appending
            await wait_until(lambda: _at_head(stores, history), "every stream projected")
        final = await verify_read_models(
            stores.eventstore, stores.mongo, mongo_db_name, max_behind=0
        )
        repaired = await dump(stores.db)
        reference = await clean_replay(stores.eventstore, stores.mongo, mongo_db_name + "_clean")

    assert corrupted == 7
    assert reports[0].before.divergences, "the corruption should have been seen"
    rounds = [r for report in reports for r in report.rounds]
    assert any(r.outcome == "committed" and r.documents > 0 for r in rounds)
    assert any(r.outcome == "committed" and r.counters > 0 for r in rounds)
    # A repair that overwrote a live batch would leave a document behind its acked events.
    assert final.clean
    assert_same(repaired, reference)


def _lost(written: BatchChanges, found: Dump) -> list[str]:
    """Documents of an acknowledged batch that are not there, or older than it wrote them."""
    revisions = {
        base: {d["_id"]: d["revision"] for d in found[base]}
        for base in ("order_summaries", "order_details", "customers")
    }
    wrote = [
        *(("order_summaries", i, doc.revision) for i, (_, doc) in written.summaries.items()),
        *(("order_details", i, doc.revision) for i, (_, doc) in written.details.items()),
        *(("customers", i, doc.revision) for i, doc in written.customers.items()),
    ]
    return [f"{base}/{i}" for base, i, rev in wrote if revisions[base].get(i, -2) < rev]


@pytest.mark.timeout(300)
async def test_a_kill_9_of_secantusdb_right_after_a_projector_batch_loses_nothing(
    fresh_eventstore_uri: str, tmp_path: Path, mongo_db_name: str
) -> None:
    history = generate(SEED + 2, customers=10, orders=40)
    mongo = MongoProcess(tmp_path / "secantus")
    mongo.start()
    killed: list[BatchChanges] = []

    async def kill_after_the_commit(changes: BatchChanges) -> None:
        # The batch's transaction has returned, its acks go out next: kill -9 right here.
        if not killed:
            mongo.kill()
            killed.append(changes)

    async def batch_written() -> bool:
        return bool(killed)

    try:
        async with connect(fresh_eventstore_uri, mongo.uri, mongo_db_name) as stores:
            await append_history(stores.eventstore, history)
            group = GroupSettings(name="verify-kill")
            async with running_projector(stores, group, after_write=kill_after_the_commit):
                await wait_until(batch_written, "a batch written")
            mongo.start()
            assert killed[0].summaries or killed[0].customers
            assert _lost(killed[0], await dump(stores.db)) == []
            verification = await verify_read_models(stores.eventstore, stores.mongo, mongo_db_name)
            async with running_projector(stores, group):
                await wait_until(lambda: _at_head(stores, history), "every stream projected")
            final = await verify_read_models(
                stores.eventstore, stores.mongo, mongo_db_name, max_behind=0
            )
    finally:
        mongo.stop()

    assert verification.divergences == []
    assert final.clean
