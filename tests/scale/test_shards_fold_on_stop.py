"""A projector replica stopped with SIGTERM folds its analytics shards into the unsharded
documents, so restarts do not multiply the documents every analytics read adds up; readers see
the same totals before, during and after."""

from __future__ import annotations

import asyncio
from datetime import date

from bench.order_events import populate
from orders.v1 import query_service_pb2 as pb
from orders.v1 import types_pb2, views_pb2
from orders_runtime import processes
from tests.projector.projector_harness import dump
from tests.read_service.read_harness import ReadService
from tests.scale.replicas import (
    ScaleStores,
    analytics,
    append_orders,
    shard_names,
    shard_of_process,
)
from tests.waiting import read_until

ORDERS = 120
FIRST_DAY, LAST_DAY = date(2026, 1, 1), date(2026, 4, 1)


def _day(day: date) -> types_pb2.Date:
    return types_pb2.Date(year=day.year, month=day.month, day=day.day)


async def _sales(service: ReadService) -> list[views_pb2.CurrencySales]:
    answer = await service.stub.GetSalesAnalytics(
        pb.GetSalesAnalyticsRequest(start_date=_day(FIRST_DAY), end_date=_day(LAST_DAY))
    )
    return list(answer.currencies)


async def test_a_replica_stopped_with_sigterm_folds_its_shards_and_readers_see_the_same_totals(
    scale: ScaleStores,
) -> None:
    db = scale.db
    with scale.replicas(1) as [replica]:
        await populate(scale.eventstore_uri, ORDERS)
        replay = await scale.replay()
        before = await scale.caught_up(replay, "the replica's read models equal to a replay")
        assert await shard_names(db) == {shard_of_process(replica)}
        analytics_before = await analytics(db)
        async with scale.read_service() as service:
            sales_before = await _sales(service)
            stopping = asyncio.create_task(asyncio.to_thread(processes.stop, replica))
            # Whatever instant a reader reads at while the replica folds, it sees the totals
            # of before: the fold is one transaction.
            seen_meanwhile = []
            while not stopping.done():
                seen_meanwhile.append(await analytics(db))
            exit_code = await stopping
            sales_after = await _sales(service)
    assert exit_code == 0
    assert await shard_names(db) == {None}
    assert await dump(db) == before
    assert await analytics(db) == analytics_before
    assert [seen for seen in seen_meanwhile if seen != analytics_before] == []
    assert sales_after == sales_before
    assert sum(c.totals.order_count for c in sales_before) > 0
    log = (scale.logs / "projector_0.log").read_text()
    assert "analytics shards folded" in log, log[-2000:]
    scale.assert_verify_clean()


async def test_one_of_two_replicas_stops_and_the_other_projects_on_with_exact_totals(
    scale: ScaleStores,
) -> None:
    db = scale.db
    with scale.replicas(2) as [first, second]:
        _, customers, _ = await populate(scale.eventstore_uri, ORDERS)
        replay = await scale.replay()
        await scale.caught_up(replay, "the read models of two replicas equal to a replay")
        stopped, staying = shard_of_process(first), shard_of_process(second)
        assert stopped in await shard_names(db), "the replica to stop counted nothing"

        assert processes.stop(first) == 0
        assert stopped not in await shard_names(db)

        await append_orders(scale.eventstore_uri, customers[0], [f"late{i:03d}" for i in range(40)])
        replay = await scale.replay("replay_late")
        await scale.caught_up(replay, "the read models of the staying replica equal to a replay")
        left = await shard_names(db)
    assert stopped not in left
    assert staying in left
    # And the one that stayed, stopped in turn, folds its own as well.
    assert await shard_names(db) == {None}
    assert await dump(db) == replay
    scale.assert_verify_clean()


async def test_a_replica_killed_with_sigkill_has_its_shards_folded_by_the_one_started_next(
    scale: ScaleStores,
) -> None:
    db = scale.db
    with scale.replicas(1, logs=scale.logs / "killed") as [killed]:
        _, customers, _ = await populate(scale.eventstore_uri, ORDERS)
        replay = await scale.replay()
        await scale.caught_up(replay, "the first replica's read models equal to a replay")
        processes.kill(killed)
    crashed = shard_of_process(killed)
    # Killed, it folded nothing; what it left still adds up exactly.
    assert await shard_names(db) == {crashed}
    assert await dump(db) == replay

    # Looking for orphans every second, the next replica folds them once the killed one's
    # heartbeat is 10 s old.
    fast = {"PROJECTOR_ORPHAN_FOLD_INTERVAL_SECONDS": "1"}
    with scale.replicas(1, fast, logs=scale.logs / "next") as [restarted]:
        await append_orders(scale.eventstore_uri, customers[0], [f"late{i:03d}" for i in range(20)])
        replay = await scale.replay("replay_late")
        await scale.caught_up(replay, "the restarted replica's read models equal to a replay")
        await read_until(
            lambda: shard_names(db),
            lambda names: names == {None, shard_of_process(restarted)},
            "the killed replica's shards folded by the restarted one",
        )
    assert await shard_names(db) == {None}
    assert await dump(db) == replay
    scale.assert_verify_clean()
