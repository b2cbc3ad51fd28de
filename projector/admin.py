"""Version administration: status, rollback to the kept version, dropping a version."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from kurrentdbclient import AsyncKurrentDBClient

from orders_contracts.read_models import ORDER_SUMMARIES, PROJECTION_STATUS, collection_name
from projector.batch_writer import BatchWriter
from projector.event_source import position_before
from projector.rebuild import catch_up, switch_to
from projector.versions import Database, drop_version, ensure_pointer, read_pointer, set_pointer

ROLLBACK_MARGIN_EVENTS = 10_000


class VersionError(Exception):
    """The requested version change is not possible; the message says why."""


async def status_report(db: Database) -> dict[str, Any]:
    pointer = await read_pointer(db)
    version = 1 if pointer is None else pointer["version"]
    statuses = await db[collection_name(PROJECTION_STATUS, version)].find({}).to_list(None)
    # Every status document carries the replicas' states; the order summaries' one says it all.
    main = next((s for s in statuses if s["_id"] == ORDER_SUMMARIES), {})
    return {"pointer": pointer, "replicas": main.get("replicas", {}), "status": statuses}


async def rollback(
    eventstore: AsyncKurrentDBClient,
    writer_for: Callable[[int], BatchWriter],
    db: Database,
    *,
    grace: float = 1.0,
) -> int:
    """Switch back to the kept previous version, caught up first; the version now active."""
    await ensure_pointer(db)
    pointer = await read_pointer(db)
    previous = None if pointer is None else pointer.get("previous_version")
    if pointer is None or previous is None:
        raise VersionError("no previous version is kept")
    status = await db[collection_name(PROJECTION_STATUS, previous)].find_one(
        {"_id": ORDER_SUMMARIES}
    )
    recorded = 0 if status is None else int(status.get("last_commit_position", 0))
    # Events below the recorded position may have been in flight when readers switched away,
    # and then written to the other version only: start well before it (re-applying is a no-op).
    after = await position_before(eventstore, recorded, ROLLBACK_MARGIN_EVENTS)
    writer = writer_for(previous)
    position = await catch_up(eventstore, writer, db, previous, after)
    await switch_to(db, previous, previous=pointer["version"])
    await asyncio.sleep(grace)
    await catch_up(eventstore, writer, db, previous, position)
    return previous


async def drop(db: Database, version: int) -> None:
    pointer = await read_pointer(db)
    if pointer is not None and version in (pointer["version"], pointer.get("building_version")):
        raise VersionError(f"version {version} is active or being built")
    await drop_version(db, version)
    if pointer is not None and pointer.get("previous_version") == version:
        await set_pointer(db, {"previous_version": None})
