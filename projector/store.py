"""Loading a batch's documents, and writing its changes in one round trip."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from datetime import datetime
from typing import Any, TypeAlias

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
    from_document,
    to_document,
)
from orders_contracts.stored_sums import from_store, to_store
from projector.analytics import LEGACY_SHARD, shard_id
from projector.batch_plan import BatchChanges, Snapshot
from projector.versions import Database

# SecantusDB answers large $in lists slowly (worse than linear); chunks keep loads fast.
LOAD_CHUNK = 100


class StaleSnapshotError(Exception):
    """A conditional write matched nothing: another projector moved the document first."""


async def _find_by_ids(db: Database, name: str, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    wanted = sorted(set(ids))
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), LOAD_CHUNK):
        chunk = wanted[start : start + LOAD_CHUNK]
        cursor = db[name].find({"_id": {"$in": chunk}})
        async for doc in cursor:
            doc.pop("projected_at", None)
            found[doc["_id"]] = doc
    return found


async def load_orders(
    db: Database, version: int, order_ids: Iterable[str]
) -> tuple[dict[str, OrderSummaryDoc], dict[str, OrderDetailsDoc]]:
    ids = list(order_ids)
    summaries, details = await asyncio.gather(
        _find_by_ids(db, collection_name(ORDER_SUMMARIES, version), ids),
        _find_by_ids(db, collection_name(ORDER_DETAILS, version), ids),
    )
    return (
        {order_id: from_document(doc, OrderSummaryDoc) for order_id, doc in summaries.items()},
        {order_id: from_document(doc, OrderDetailsDoc) for order_id, doc in details.items()},
    )


async def load_customers(
    db: Database, version: int, customer_ids: Iterable[str]
) -> dict[str, CustomerDoc]:
    found = await _find_by_ids(db, collection_name(CUSTOMERS, version), customer_ids)
    # The fold adds lifetime values as Python ints; MongoDB holds them as Decimal128.
    return {
        customer_id: from_document(from_store(CUSTOMERS, doc), CustomerDoc)
        for customer_id, doc in found.items()
    }


WriteOp: TypeAlias = InsertOne[Any] | ReplaceOne[Any] | UpdateOne


def _stream_doc_ops(
    docs: Mapping[str, tuple[int, OrderSummaryDoc | OrderDetailsDoc]], namespace: str, now: datetime
) -> list[WriteOp]:
    ops: list[WriteOp] = []
    for doc_id, (before, doc) in docs.items():
        stamped = {**to_document(doc), "projected_at": now}
        if before < 0:
            ops.append(InsertOne(stamped, namespace=namespace))
        else:
            ops.append(
                ReplaceOne({"_id": doc_id, "revision": before}, stamped, namespace=namespace)
            )
    return ops


def _counter_ops(
    base: str,
    deltas: dict[str, dict[str, int]],
    keys: dict[str, dict[str, str]],
    namespace: str,
    existing: AbstractSet[str],
    shard: str,
) -> list[WriteOp]:
    # An all-zero $inc on a document that exists changes nothing: only a missing one needs it.
    # Money deltas go as Decimal128, so the sums they move are Decimal128 and add exactly
    # (a sum still in int64 from an older read model becomes Decimal128 on its first $inc).
    sharded = {doc_id: shard_id(doc_id, shard) for doc_id in deltas}
    return [
        UpdateOne(
            {"_id": sharded[doc_id]},
            {"$setOnInsert": keys[doc_id], "$inc": to_store(base, counters)},
            upsert=True,
            namespace=namespace,
        )
        for doc_id, counters in deltas.items()
        if sharded[doc_id] not in existing or any(counters.values())
    ]


def _customer_ops(
    changes: BatchChanges, snapshot: Snapshot, namespace: str, now: datetime
) -> list[WriteOp]:
    ops: list[WriteOp] = []
    for customer_id, doc in changes.customers.items():
        stamped = {**to_store(CUSTOMERS, doc), "projected_at": now}
        loaded = snapshot.customers.get(customer_id)
        if loaded is None:
            ops.append(InsertOne(stamped, namespace=namespace))
        else:
            # Every change to a customer moves one of these (a new order moves order_count, a
            # cancellation cancelled_count, a registration revision): another projector's
            # change since the read fails the condition.
            guard = {
                "_id": loaded.id,
                "revision": loaded.revision,
                "order_count": loaded.order_count,
                "cancelled_count": loaded.cancelled_count,
            }
            ops.append(ReplaceOne(guard, stamped, namespace=namespace))
    return ops


async def write_changes(
    db: Database,
    version: int,
    changes: BatchChanges,
    snapshot: Snapshot,
    now: datetime,
    session: AsyncClientSession | None,
    existing_counters: AbstractSet[tuple[str, str]] = frozenset(),
    shard: str = LEGACY_SHARD,
) -> None:
    """Every collection's changes in one unordered client-level bulk write (MongoDB 8.0's
    bulkWrite command): one round trip instead of one per collection.

    The stream and customer documents are written on condition that they are still as read;
    one that is not makes the count fall short, and the raised StaleSnapshotError aborts the
    caller's transaction, analytics deltas included. The analytics deltas go to ``shard``'s
    documents; those named in ``existing_counters`` as (read model, sharded id) are left out
    when their deltas are all zero.
    """

    def namespace(base: str) -> str:
        return f"{db.name}.{collection_name(base, version)}"

    analytics = changes.analytics
    ops = [
        *_stream_doc_ops(changes.summaries, namespace(ORDER_SUMMARIES), now),
        *_stream_doc_ops(changes.details, namespace(ORDER_DETAILS), now),
        *_customer_ops(changes, snapshot, namespace(CUSTOMERS), now),
        *_counter_ops(
            SALES_BY_STATUS,
            analytics.by_status,
            analytics.by_status_keys,
            namespace(SALES_BY_STATUS),
            {i for base, i in existing_counters if base == SALES_BY_STATUS},
            shard,
        ),
        *_counter_ops(
            SALES_BY_DAY,
            analytics.by_day,
            analytics.by_day_keys,
            namespace(SALES_BY_DAY),
            {i for base, i in existing_counters if base == SALES_BY_DAY},
            shard,
        ),
    ]
    if not ops:
        return
    result = await db.client.bulk_write(ops, ordered=False, session=session)
    # A counter upsert always matches or inserts; only a failed condition leaves one short.
    if result.inserted_count + result.matched_count + result.upserted_count != len(ops):
        raise StaleSnapshotError("a document changed since it was read")
