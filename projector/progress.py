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
from projector.durable import durable
from projector.event_source import Lag
from projector.projector_state import StateReport
from projector.versions import Database

READ_MODELS = (ORDER_SUMMARIES, ORDER_DETAILS, CUSTOMERS, SALES_BY_STATUS, SALES_BY_DAY)


def replica_fields(replica: str, report: StateReport, now: datetime) -> dict[str, Any]:
    entry = {"state": report.state, "reason": report.reason, "since": report.since, "seen_at": now}
    return {f"replicas.{replica}": entry}


def status_update(
    counts: Counter[str],
    last_commit_position: int,
    lag: Lag,
    now: datetime,
    replica: tuple[str, StateReport] | None = None,
) -> dict[str, Any]:
    """The $-update of a status document for one batch (positions only move forward), with the
    state of the replica that wrote it."""
    state = {} if replica is None else replica_fields(*replica, now)
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
            **state,
        },
    }


async def record_progress(
    db: Database,
    version: int,
    counts: Counter[str],
    last_commit_position: int,
    lag: Lag,
    now: datetime,
    replica: tuple[str, StateReport] | None = None,
) -> None:
    """Outside the batch transaction on purpose: every batch of every replica writes these few
    documents, and inside the transaction they would make concurrent batches conflict."""
    update = status_update(counts, last_commit_position, lag, now, replica)
    await durable(db)[collection_name(PROJECTION_STATUS, version)].bulk_write(
        [UpdateOne({"_id": model}, update, upsert=True) for model in READ_MODELS],
        ordered=False,
    )


async def forget_replica(db: Database, version: int, replica: str) -> None:
    """A replica that stops cleanly takes its entry out of the status documents."""
    await durable(db)[collection_name(PROJECTION_STATUS, version)].update_many(
        {}, {"$unset": {f"replicas.{replica}": ""}}
    )


async def shared_position(db: Database, version: int) -> int:
    """The greatest position any replica has recorded as applied."""
    found = await db[collection_name(PROJECTION_STATUS, version)].find_one(
        {"_id": ORDER_SUMMARIES}, {"last_commit_position": 1}
    )
    return 0 if found is None else int(found.get("last_commit_position", 0))
