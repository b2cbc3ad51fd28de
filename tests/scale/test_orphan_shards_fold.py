"""The analytics shards of a replica killed with -9 are folded by the live replicas, and a fold
racing the shard's live owner (one taken for gone) leaves every total exact."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import pytest

from bench.order_events import populate
from orders_contracts.read_models import ORDER_SUMMARIES, collection_name
from orders_runtime import processes
from orders_runtime.settings import SettingsError, settings_from
from projector.analytics_fold import Folded, fold_shards
from projector.analytics_orphans import orphan_shards, shard_of
from projector.settings import Settings
from tests.projector.projector_harness import dump
from tests.scale.replicas import (
    Doc,
    ScaleStores,
    append_orders,
    shard_names,
    shard_of_process,
)
from tests.waiting import read_until, wait_until

ORDERS = 100
# Orphans looked for every second; in-flight events of a killed replica back within 5 s.
FAST = {"PROJECTOR_ORPHAN_FOLD_INTERVAL_SECONDS": "1", "PROJECTOR_MESSAGE_TIMEOUT": "5"}


def test_a_shard_is_an_orphan_when_neither_this_replica_nor_a_live_one_owns_it() -> None:
    ids = [
        "PAID|EUR",
        "PAID|EUR|me",
        "PAID|EUR|live-1",
        "PAID|EUR|gone-1",
        "2026-01-01|USD|gone-2",
        "2026-01-01|USD|gone-1",
        "2026-01-02|USD",
    ]

    assert orphan_shards(ids, "me", ["live-1", "live-2"]) == ["gone-1", "gone-2"]


def test_with_no_live_replica_but_this_one_every_other_shard_is_an_orphan() -> None:
    assert orphan_shards(["PAID|EUR|me", "PAID|EUR|b", "PAID|EUR"], "me", []) == ["b"]
    assert orphan_shards(["PAID|EUR|me", "PAID|EUR"], "me", ["me"]) == []


def test_the_shard_of_an_id_is_everything_after_the_bucket_and_none_for_unsharded_ids() -> None:
    assert shard_of("2026-01-01|EUR|host-1") == "host-1"
    assert shard_of("2026-01-01|EUR|odd|name") == "odd|name"
    assert shard_of("2026-01-01|EUR") == ""


def test_the_orphan_fold_interval_is_read_in_seconds_and_zero_is_refused_by_name() -> None:
    variable = "PROJECTOR_ORPHAN_FOLD_INTERVAL_SECONDS"
    assert settings_from(Settings, {variable: "1.5"}).orphan_fold_interval == 1.5
    assert settings_from(Settings, {}).orphan_fold_interval == 60
    for refused in ("0", "-1", "soon"):
        with pytest.raises(SettingsError, match=variable):
            settings_from(Settings, {variable: refused})


async def _found(read: Awaitable[Doc | None]) -> bool:
    return await read is not None


def _orphan_folds(log: Path) -> list[dict[str, Any]]:
    """The replica's log lines saying it folded a gone replica's shards."""
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == "orphaned analytics shards folded"]


async def test_a_replica_killed_under_load_has_its_shards_folded_by_the_one_that_lives_on(
    scale: ScaleStores,
) -> None:
    db = scale.db
    with scale.replicas(2, FAST) as [killed, survivor]:
        crashed, living = shard_of_process(killed), shard_of_process(survivor)
        _, customers, _ = await populate(scale.eventstore_uri, ORDERS)
        replay = await scale.replay()
        await scale.caught_up(replay, "the read models of two replicas equal to a replay")
        # Both live, looking every second: neither took the other's shards for an orphan.
        assert {crashed, living} <= await shard_names(db)
        assert _orphan_folds(scale.logs / "projector_1.log") == []
        late = [f"late{i:03d}" for i in range(40)]
        loading = asyncio.create_task(append_orders(scale.eventstore_uri, customers[0], late))
        # Killed with the late orders being written and projected.
        summaries = db[collection_name(ORDER_SUMMARIES, 1)]
        await wait_until(
            lambda: _found(summaries.find_one({"_id": late[0]})), "the first late order projected"
        )
        processes.kill(killed)
        await loading
        names = await read_until(
            lambda: shard_names(db),
            lambda names: crashed not in names,
            "the killed replica's shards folded by the live one",
        )
        replay = await scale.replay("replay_late")
        await scale.caught_up(replay, "the read models of the live replica equal to a replay")
        # The live replica's own shards stay its own while it runs.
        assert living in await shard_names(db)
        assert names <= {None, living}
    # Folded once, by the live replica, which never took its own shards for an orphan.
    folds = _orphan_folds(scale.logs / "projector_1.log")
    assert [(fold["shard"], fold["versions"]) for fold in folds] == [(crashed, [1])]
    assert await dump(db) == replay
    scale.assert_verify_clean()


async def test_folding_the_shards_of_a_replica_still_projecting_keeps_the_totals_exact(
    scale: ScaleStores,
) -> None:
    db = scale.db
    with scale.replicas(1) as [owner]:
        owned = shard_of_process(owner)
        _, customers, _ = await populate(scale.eventstore_uri, 20)
        folds: list[Folded] = []
        chunk = 0
        # Two folders taking the owner for gone, racing each other and the owner's batches of
        # each chunk of orders, until the owner has written its shards again after a fold a few
        # times over.
        while sum(1 for fold in folds if fold.documents) < 4:
            orders = [f"race{chunk:02d}-{i:02d}" for i in range(10)]
            await append_orders(scale.eventstore_uri, customers[chunk % len(customers)], orders)
            folds += await asyncio.gather(
                fold_shards(scale.mongo, scale.database, owned),
                fold_shards(scale.mongo, scale.database, owned),
            )
            chunk += 1
            assert chunk < 100, "the owner never wrote its shards again after a fold"
        replay = await scale.replay()
        await scale.caught_up(replay, "the owner's read models equal to a replay after the folds")
    assert await dump(db) == replay
    assert await shard_names(db) == {None}
    scale.assert_verify_clean()
