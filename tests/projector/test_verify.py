"""`python -m projector verify [--repair]`: read models against a fresh fold of their events."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import pytest

from orders_contracts.read_models import collection_name
from projector.subscription_group import GroupSettings
from projector.verify import verify_read_models
from projector.verify_report import run_verify_command
from tests.projector.projector_harness import (
    Stores,
    clean_replay,
    connect,
    dump,
    running_projector,
    status,
)
from tests.projector.projector_history import Recorded
from tests.projector.test_command_line import ROOT, environment
from tests.projector.test_fault_injection import assert_same
from tests.waiting import wait_until


async def test_verify_is_clean_after_the_live_projector_caught_up(
    history_uri: str, mongo_uri: str, mongo_db_name: str, history: list[Recorded]
) -> None:
    async with connect(history_uri, mongo_uri, mongo_db_name) as stores:
        async with running_projector(stores, GroupSettings(name="verify-clean")):

            async def caught_up() -> bool:
                return int((await status(stores.db)).get("events_applied", 0)) >= len(history)

            await wait_until(caught_up, "every event applied")
        verification = await verify_read_models(
            stores.eventstore, stores.mongo, mongo_db_name, max_behind=0
        )

    orders = len({r.stream for r in history if r.stream.startswith("order-")})
    assert verification.divergences == []
    assert verification.behind == []
    assert verification.clean
    assert verification.checked["order_summaries"] == orders
    assert verification.checked["order_details"] == orders
    assert verification.streams_pending == 0


def _ids(docs: list[dict[str, Any]], **where: Any) -> list[str]:
    return [d["_id"] for d in docs if all(d.get(k) == v for k, v in where.items())]


async def _damage(stores: Stores) -> dict[str, tuple[str, str, str]]:
    """Lost and corrupted writes straight in MongoDB: name -> (collection, id, problem)."""
    models = await dump(stores.db)
    summaries = models["order_summaries"]
    placed = _ids(summaries, status="PLACED")
    delivered = _ids(summaries, status="DELIVERED")
    registered = {d["_id"] for d in models["customers"] if d["registered"]}
    with_orders = sorted(registered & {d["customer_id"] for d in summaries})
    day = models["sales_by_day"][0]["_id"]

    def coll(base: str) -> Any:
        return stores.db[collection_name(base, 1)]

    await coll("order_summaries").update_one({"_id": placed[0]}, {"$set": {"status": "PAID"}})
    await coll("order_summaries").delete_one({"_id": delivered[0]})
    await coll("order_details").delete_one({"_id": delivered[1]})
    await coll("customers").update_one(
        {"_id": with_orders[0]}, {"$set": {"name": "Mallory", "order_count": 99}}
    )
    await coll("customers").delete_one({"_id": with_orders[1]})
    await coll("sales_by_day").update_one({"_id": day}, {"$inc": {"orders": 1}})
    return {
        "status": ("order_summaries", placed[0], "different"),
        "summary": ("order_summaries", delivered[0], "missing"),
        "details": ("order_details", delivered[1], "missing"),
        "counts": ("customers", with_orders[0], "different"),
        "customer": ("customers", with_orders[1], "missing"),
        "day": ("sales_by_day", day, "different"),
    }


async def _verify_process(env: dict[str, str]) -> tuple[int, list[dict[str, Any]]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "projector", "verify", "--max-behind", "0"),
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, [json.loads(line) for line in stdout.decode().splitlines()]


@pytest.mark.timeout(180)
async def test_lost_and_corrupted_writes_are_reported_exactly_and_repair_fixes_them(
    history_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    async with connect(history_uri, mongo_uri, mongo_db_name) as stores:
        reference = await clean_replay(stores.eventstore, stores.mongo, mongo_db_name)
        damaged = await _damage(stores)

        code, lines = await _verify_process(environment(history_uri, mongo_uri, mongo_db_name))
        divergent = {(x["collection"], x["id"]): x for x in lines if x["kind"] == "divergent"}
        behind = [x["stream"] for x in lines if x["kind"] == "behind"]
        summary = lines[-1]

        repair_lines: list[str] = []
        repair_code = await run_verify_command(
            stores.eventstore,
            stores.mongo,
            mongo_db_name,
            repair=True,
            max_behind=0,
            emit=repair_lines.append,
        )
        after = await verify_read_models(
            stores.eventstore, stores.mongo, mongo_db_name, max_behind=0
        )
        repaired = await dump(stores.db)

    assert code == 1
    assert {key: x["problem"] for key, x in divergent.items()} == {
        (base, doc_id): problem for base, doc_id, problem in damaged.values()
    }
    base, doc_id, _ = damaged["status"]
    assert divergent[(base, doc_id)]["fields"] == {
        "status": {"expected": "PLACED", "actual": "PAID"}
    }
    base, doc_id, _ = damaged["counts"]
    assert set(divergent[(base, doc_id)]["fields"]) == {"name", "order_count"}
    base, doc_id, _ = damaged["day"]
    assert set(divergent[(base, doc_id)]["fields"]) == {"orders"}
    # The deleted customer's registration is beyond what any document claims: a missed event.
    assert behind == [f"customer-{damaged['customer'][1]}"]
    assert summary["kind"] == "summary"
    assert summary["clean"] is False
    assert summary["divergent"] == len(damaged)

    printed = [json.loads(line) for line in repair_lines]
    assert next(x["outcome"] for x in printed if x["kind"] == "repair") == "committed"
    assert printed[-1]["phase"] == "after_repair"
    assert printed[-1]["clean"] is True
    assert repair_code == 0
    assert after.clean
    assert_same(repaired, reference)
