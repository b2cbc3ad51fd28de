"""Loading a batch's documents and writing its changes, inside one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from pymongo import InsertOne, ReplaceOne, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession

from orders_contracts.read_models import (
    CUSTOMERS,
    ORDER_DETAILS,
    ORDER_SUMMARIES,
    SALES_BY_DAY,
    SALES_BY_STATUS,
    CustomerDoc,
    OrderDetailsDoc,
    OrderSummaryDoc,
    collection_name,
)
from projector.batch_plan import BatchChanges, Snapshot
from projector.versions import Database

# SecantusDB answers large $in lists slowly (worse than linear); chunks keep loads fast.
LOAD_CHUNK = 100


class StaleSnapshotError(Exception):
    """A conditional write matched nothing: another projector moved the document first."""


async def _find_by_ids(
    db: Database, name: str, ids: Iterable[str], session: AsyncClientSession | None
) -> dict[str, dict[str, Any]]:
    wanted = sorted(set(ids))
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), LOAD_CHUNK):
        chunk = wanted[start : start + LOAD_CHUNK]
        cursor = db[name].find({"_id": {"$in": chunk}}, session=session)
        async for doc in cursor:
            doc.pop("projected_at", None)
            found[doc["_id"]] = doc
    return found


async def load_orders(
    db: Database, version: int, order_ids: Iterable[str], session: AsyncClientSession | None
) -> tuple[dict[str, OrderSummaryDoc], dict[str, OrderDetailsDoc]]:
    ids = list(order_ids)
    summaries = await _find_by_ids(db, collection_name(ORDER_SUMMARIES, version), ids, session)
    details = await _find_by_ids(db, collection_name(ORDER_DETAILS, version), ids, session)
    return (
        cast(dict[str, OrderSummaryDoc], summaries),
        cast(dict[str, OrderDetailsDoc], details),
    )


async def load_customers(
    db: Database, version: int, customer_ids: Iterable[str], session: AsyncClientSession | None
) -> dict[str, CustomerDoc]:
    found = await _find_by_ids(db, collection_name(CUSTOMERS, version), customer_ids, session)
    return cast(dict[str, CustomerDoc], found)


def _stream_doc_ops(
    docs: dict[str, tuple[int, Any]], now: datetime
) -> list[InsertOne[Any] | ReplaceOne[Any]]:
    ops: list[InsertOne[Any] | ReplaceOne[Any]] = []
    for doc_id, (before, doc) in docs.items():
        stamped = {**doc, "projected_at": now}
        if before < 0:
            ops.append(InsertOne(stamped))
        else:
            ops.append(ReplaceOne({"_id": doc_id, "revision": before}, stamped))
    return ops


def _counter_ops(
    deltas: dict[str, dict[str, int]], keys: dict[str, dict[str, str]]
) -> list[UpdateOne]:
    return [
        UpdateOne(
            {"_id": doc_id},
            {"$setOnInsert": keys[doc_id], "$inc": counters},
            upsert=True,
        )
        for doc_id, counters in deltas.items()
    ]


def _customer_ops(
    changes: BatchChanges, snapshot: Snapshot, now: datetime
) -> list[InsertOne[Any] | ReplaceOne[Any]]:
    ops: list[InsertOne[Any] | ReplaceOne[Any]] = []
    for customer_id, doc in changes.customers.items():
        stamped = {**doc, "projected_at": now}
        loaded = snapshot.customers.get(customer_id)
        if loaded is None:
            ops.append(InsertOne(stamped))
        else:
            # Every change to a customer moves one of these (a new order moves order_count, a
            # cancellation cancelled_count, a registration revision): another projector's
            # change since the read fails the condition.
            guard = {k: loaded[k] for k in ("_id", "revision", "order_count", "cancelled_count")}
            ops.append(ReplaceOne(guard, stamped))
    return ops


async def write_changes(
    db: Database,
    version: int,
    changes: BatchChanges,
    snapshot: Snapshot,
    now: datetime,
    session: AsyncClientSession | None,
) -> None:
    """One unordered bulk_write per collection; conditional on the documents as read.

    The conditional writes come first and are checked before the analytics deltas, so a
    transaction whose plan is stale aborts before counting anything.
    """
    for base, docs in ((ORDER_SUMMARIES, changes.summaries), (ORDER_DETAILS, changes.details)):
        ops = _stream_doc_ops(cast(dict[str, tuple[int, Any]], docs), now)
        if not ops:
            continue
        result = await db[collection_name(base, version)].bulk_write(
            ops, ordered=False, session=session
        )
        if result.inserted_count + result.matched_count != len(ops):
            raise StaleSnapshotError(base)
    customer_ops = _customer_ops(changes, snapshot, now)
    if customer_ops:
        result = await db[collection_name(CUSTOMERS, version)].bulk_write(
            customer_ops, ordered=False, session=session
        )
        if result.inserted_count + result.matched_count != len(customer_ops):
            raise StaleSnapshotError(CUSTOMERS)
    analytics = changes.analytics
    for base, deltas, keys in (
        (SALES_BY_STATUS, analytics.by_status, analytics.by_status_keys),
        (SALES_BY_DAY, analytics.by_day, analytics.by_day_keys),
    ):
        if deltas:
            await db[collection_name(base, version)].bulk_write(
                _counter_ops(deltas, keys), ordered=False, session=session
            )
