"""Folding a replica's analytics shards into the unsharded documents: the deltas as data, and
the fold against the store leaving every bucket's sum as it was."""

from __future__ import annotations

import socket
from typing import Any

from bson.decimal128 import Decimal128
from pymongo import AsyncMongoClient
from structlog.testing import capture_logs

from orders_contracts.read_models import SALES_BY_DAY, SALES_BY_STATUS, collection_name
from projector.analytics_fold import fold_on_stop, fold_shards
from projector.analytics_shards import folded_part, merged_shards
from projector.versions import ensure_collections

Doc = dict[str, Any]
BEYOND_INT64 = 2**63 + 12_345
STATUSES = ("PLACED", "PAID", "SHIPPED", "DELIVERED", "CANCELLED")


def _day_part(doc_id: str, orders: int, revenue: object, **by_status: int) -> Doc:
    day, currency = doc_id.split("|")[:2]
    return {
        "_id": doc_id,
        "day": day,
        "currency": currency,
        "orders": orders,
        "revenue_minor": revenue,
        "cancelled_orders": by_status.get("CANCELLED", 0),
        "cancelled_minor": Decimal128("0"),
        "by_status": {status: by_status.get(status, 0) for status in STATUSES},
    }


def _status_part(doc_id: str, orders: int, revenue: object) -> Doc:
    status, currency = doc_id.split("|")[:2]
    return {
        "_id": doc_id,
        "status": status,
        "currency": currency,
        "orders": orders,
        "revenue_minor": revenue,
    }


def test_a_shard_part_folds_into_its_fields_and_exact_counts_nested_ones_by_dotted_path() -> None:
    part = _day_part(
        "2026-01-01|EUR|host-7", 3, Decimal128(str(BEYOND_INT64)), PAID=2, CANCELLED=-1
    )

    keys, counts = folded_part(part)

    assert keys == {"day": "2026-01-01", "currency": "EUR"}
    assert counts == {
        "orders": 3,
        "revenue_minor": BEYOND_INT64,
        "cancelled_orders": -1,
        "cancelled_minor": 0,
        "by_status.PLACED": 0,
        "by_status.PAID": 2,
        "by_status.SHIPPED": 0,
        "by_status.DELIVERED": 0,
        "by_status.CANCELLED": -1,
    }
    assert all(type(value) is int for value in counts.values())


def test_a_part_with_no_counts_leaves_only_its_fields() -> None:
    keys, counts = folded_part({"_id": "PAID|EUR|host-7", "status": "PAID", "currency": "EUR"})

    assert (keys, counts) == ({"status": "PAID", "currency": "EUR"}, {})


async def _stored(mongo: AsyncMongoClient[Doc], database: str, base: str, version: int) -> Doc:
    name = collection_name(base, version)
    return {str(doc["_id"]): doc async for doc in mongo[database][name].find({})}


async def test_folding_a_replicas_shards_keeps_every_buckets_sum_in_every_version(
    mongo_uri: str, mongo_db_name: str
) -> None:
    mongo: AsyncMongoClient[Doc] = AsyncMongoClient(mongo_uri, tz_aware=True)
    db = mongo[mongo_db_name]
    try:
        for version in (1, 2):
            await ensure_collections(db, version)
        await db[collection_name(SALES_BY_DAY, 1)].insert_many(
            [
                # Written before sums were Decimal128: the fold adds to it all the same.
                _day_part("2026-01-01|EUR", 4, 1_000, PLACED=1, DELIVERED=3),
                _day_part("2026-01-01|EUR|gone", 2, Decimal128(str(BEYOND_INT64)), PAID=2),
                _day_part("2026-01-01|EUR|other", 1, Decimal128("7"), SHIPPED=1),
                # No unsharded document yet: the fold creates it.
                _day_part("2026-01-02|USD|gone", 0, Decimal128(str(-BEYOND_INT64)), CANCELLED=1),
            ]
        )
        await db[collection_name(SALES_BY_STATUS, 1)].insert_many(
            [
                _status_part("PAID|EUR", 5, Decimal128(str(BEYOND_INT64))),
                _status_part("PAID|EUR|gone", 2, Decimal128(str(BEYOND_INT64))),
            ]
        )
        # The kept version after a rebuild's switch: shards of the same replica of its own.
        await db[collection_name(SALES_BY_STATUS, 2)].insert_many(
            [_status_part("PAID|EUR|gone", 9, Decimal128("900"))]
        )
        places = [(base, version) for base in (SALES_BY_STATUS, SALES_BY_DAY) for version in (1, 2)]
        before = {place: await _stored(mongo, mongo_db_name, *place) for place in places}

        folded = await fold_shards(mongo, mongo_db_name, "gone")

        after = {place: await _stored(mongo, mongo_db_name, *place) for place in places}
    finally:
        await mongo.close()
    assert (folded.documents, folded.versions) == (4, (1, 2))
    for place in places:
        assert merged_shards(after[place]) == merged_shards(before[place]), place
        assert not [doc_id for doc_id in after[place] if doc_id.endswith("|gone")], place
    days = after[(SALES_BY_DAY, 1)]
    assert days["2026-01-01|EUR|other"] == before[(SALES_BY_DAY, 1)]["2026-01-01|EUR|other"]
    assert days["2026-01-01|EUR"]["revenue_minor"] == Decimal128(str(1_000 + BEYOND_INT64))
    assert days["2026-01-01|EUR"]["by_status"]["PAID"] == 2
    created = days["2026-01-02|USD"]
    assert (created["day"], created["currency"]) == ("2026-01-02", "USD")
    assert created["revenue_minor"] == Decimal128(str(-BEYOND_INT64))
    assert after[(SALES_BY_STATUS, 1)]["PAID|EUR"]["revenue_minor"] == Decimal128(
        str(2 * BEYOND_INT64)
    )
    assert after[(SALES_BY_STATUS, 2)]["PAID|EUR"]["status"] == "PAID"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_a_fold_the_store_does_not_answer_gives_up_within_its_grace_and_says_why() -> None:
    mongo: AsyncMongoClient[Doc] = AsyncMongoClient(
        f"mongodb://127.0.0.1:{_closed_port()}/?directConnection=true",
        serverSelectionTimeoutMS=600_000,
    )
    try:
        with capture_logs() as logs:
            folded = await fold_on_stop(mongo, "orders", "gone", grace=0.5)
    finally:
        await mongo.close()
    assert folded is None
    warnings = [entry for entry in logs if entry["log_level"] == "warning"]
    assert [(w["event"], w["shard"]) for w in warnings] == [("analytics shards not folded", "gone")]
    assert "0.5 s" in warnings[0]["reason"]
