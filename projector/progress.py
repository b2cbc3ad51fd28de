"""The status document of every read model, updated after each batch."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from pymongo import UpdateOne

from orders_contracts.read_models import (
    CUSTOMERS,
    ORDER_DETAILS,
    ORDER_SUMMARIES,
    PROJECTION_STATUS,
    SALES_BY_DAY,
    SALES_BY_STATUS,
    collection_name,
)
from projector.event_source import Lag
from projector.versions import Database

READ_MODELS = (ORDER_SUMMARIES, ORDER_DETAILS, CUSTOMERS, SALES_BY_STATUS, SALES_BY_DAY)


def status_update(
    counts: Counter[str], last_commit_position: int, lag: Lag, now: datetime
) -> dict[str, Any]:
    """The $-update of a status document for one batch (positions only move forward)."""
    return {
        "$max": {"last_commit_position": last_commit_position},
        "$inc": {
            "events_applied": counts["applied"],
            "events_skipped": counts["duplicate"] + counts["unknown_type"] + counts["newer_schema"],
            "events_unknown": counts["unknown_type"] + counts["newer_schema"],
            "events_parked": counts["parked"],
        },
        "$set": {
            "head_commit_position": lag.head_commit_position,
            "lag_events": lag.lag_events,
            "lag_seconds": lag.lag_seconds,
            "updated_at": now,
        },
    }


async def record_progress(
    db: Database,
    version: int,
    counts: Counter[str],
    last_commit_position: int,
    lag: Lag,
    now: datetime,
) -> None:
    """Outside the batch transaction on purpose: every batch of every replica writes these few
    documents, and inside the transaction they would make concurrent batches conflict."""
    update = status_update(counts, last_commit_position, lag, now)
    await db[collection_name(PROJECTION_STATUS, version)].bulk_write(
        [UpdateOne({"_id": model}, update, upsert=True) for model in READ_MODELS],
        ordered=False,
    )
