"""Projects test histories into MongoDB with the projector's own pure projection functions.

Used for read-service tests that need precise control over what is projected when (e.g. a
token that is not reached yet). The document shapes come from the projector, never from here;
this module only stores its changes the way read_models.py describes (one transaction per
batch, analytics as $inc deltas, a status document per read model).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bson.codec_options import CodecOptions
from pymongo import AsyncMongoClient, ReplaceOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from orders_contracts import read_models as rm
from orders_contracts.streams import ORDER_STREAM_PREFIX, id_from_stream
from projector.batch_plan import Snapshot, customers_needed, plan_batch
from projector.envelope import Envelope

Doc = dict[str, Any]


async def project(
    client: AsyncMongoClient[Doc], database: str, envelopes: Sequence[Envelope], version: int = 1
) -> None:
    """Apply one batch of new events (each stream's events contiguous after what is stored)."""
    # The projector works with aware UTC datetimes, as its own client is configured to return.
    db: AsyncDatabase[Doc] = client[database].with_options(
        codec_options=CodecOptions(tz_aware=True, tzinfo=UTC)
    )
    streams: dict[str, list[Envelope]] = {}
    for envelope in sorted(envelopes, key=lambda e: (e.stream_name, e.revision)):
        streams.setdefault(envelope.stream_name, []).append(envelope)
    snapshot = await _snapshot(db, streams, version)
    changes = plan_batch(snapshot, streams)
    now = datetime.now(UTC)

    def name(base: str) -> str:
        return rm.collection_name(base, version)

    async with client.start_session() as session, await session.start_transaction():
        order_docs = ((rm.ORDER_SUMMARIES, changes.summaries), (rm.ORDER_DETAILS, changes.details))
        for base, docs in order_docs:
            if docs:
                await db[name(base)].bulk_write(
                    [
                        ReplaceOne({"_id": key}, {**doc, "projected_at": now}, upsert=True)
                        for key, (_, doc) in docs.items()
                    ],
                    session=session,
                )
        if changes.customers:
            await db[name(rm.CUSTOMERS)].bulk_write(
                [
                    ReplaceOne({"_id": key}, {**doc, "projected_at": now}, upsert=True)
                    for key, doc in changes.customers.items()
                ],
                session=session,
            )
        analytics = changes.analytics
        for base, deltas, keys in (
            (rm.SALES_BY_DAY, analytics.by_day, analytics.by_day_keys),
            (rm.SALES_BY_STATUS, analytics.by_status, analytics.by_status_keys),
        ):
            if deltas:
                await db[name(base)].bulk_write(
                    [
                        UpdateOne(
                            {"_id": key},
                            {"$inc": counters, "$setOnInsert": keys[key]},
                            upsert=True,
                        )
                        for key, counters in deltas.items()
                    ],
                    session=session,
                )
        await db[name(rm.PROJECTION_STATUS)].bulk_write(
            [
                UpdateOne(
                    {"_id": base},
                    {
                        "$max": {"last_commit_position": changes.last_commit_position},
                        "$inc": {"events_applied": len(envelopes)},
                        "$set": {"updated_at": now, "lag_events": 0, "lag_seconds": 0.0},
                    },
                    upsert=True,
                )
                for base in rm.VERSIONED_COLLECTIONS
                if base != rm.PROJECTION_STATUS
            ],
            session=session,
        )


async def _snapshot(
    db: AsyncDatabase[Doc], streams: dict[str, list[Envelope]], version: int
) -> Snapshot:
    order_ids = [id_from_stream(s) for s in streams if s.startswith(ORDER_STREAM_PREFIX)]
    summaries = await _by_id(db, rm.collection_name(rm.ORDER_SUMMARIES, version), order_ids)
    details = await _by_id(db, rm.collection_name(rm.ORDER_DETAILS, version), order_ids)
    partial = Snapshot(summaries=summaries, details=details)  # type: ignore[arg-type]
    customer_ids = sorted(customers_needed(partial, streams))
    customers = await _by_id(db, rm.collection_name(rm.CUSTOMERS, version), customer_ids)
    return Snapshot(summaries=summaries, details=details, customers=customers)  # type: ignore[arg-type]


async def _by_id(db: AsyncDatabase[Doc], collection: str, ids: list[str]) -> dict[str, Doc]:
    if not ids:
        return {}
    found = await db[collection].find({"_id": {"$in": ids}}, {"projected_at": False}).to_list(None)
    return {doc["_id"]: doc for doc in found}
