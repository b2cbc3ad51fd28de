"""The pointer document that names the read-model version readers use, and its collections."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import CollectionInvalid

from orders_contracts.read_models import (
    ACTIVE_POINTER_ID,
    INDEXES,
    INITIAL_VERSION,
    READ_MODEL_VERSIONS,
    VERSIONED_COLLECTIONS,
    ReadModelVersionDoc,
    collection_name,
)

Database = AsyncDatabase[dict[str, Any]]


async def read_pointer(
    db: Database, session: AsyncClientSession | None = None
) -> ReadModelVersionDoc | None:
    doc = await db[READ_MODEL_VERSIONS].find_one({"_id": ACTIVE_POINTER_ID}, session=session)
    if doc is None:
        return None
    pointer: ReadModelVersionDoc = {
        "_id": ACTIVE_POINTER_ID,
        "version": int(doc["version"]),
        "previous_version": doc.get("previous_version"),
        "building_version": doc.get("building_version"),
        "switched_at": doc["switched_at"],
    }
    return pointer


async def active_version(db: Database, session: AsyncClientSession | None = None) -> int:
    pointer = await read_pointer(db, session)
    return INITIAL_VERSION if pointer is None else pointer["version"]


async def ensure_pointer(db: Database) -> None:
    """The first projector on an empty database names version 1 active."""
    await db[READ_MODEL_VERSIONS].update_one(
        {"_id": ACTIVE_POINTER_ID},
        {
            "$setOnInsert": {
                "version": INITIAL_VERSION,
                "previous_version": None,
                "building_version": None,
                "switched_at": datetime.now(UTC),
            }
        },
        upsert=True,
    )


async def ensure_collections(db: Database, version: int, *, indexes: bool = True) -> None:
    """Create a version's collections and the indexes the read service queries by; idempotent.

    Collections are created up front because creating one inside a transaction is not
    something every server supports. ``indexes=False`` leaves the indexes for later: building
    them after a bulk load was faster, until SecantusDB ran with durable commits, where it
    commits (and syncs) every index entry of a build on its own.
    """
    existing = set(await db.list_collection_names())
    for base in VERSIONED_COLLECTIONS:
        name = collection_name(base, version)
        if name not in existing:
            with contextlib.suppress(CollectionInvalid):  # another projector was first
                await db.create_collection(name)
        models = [
            IndexModel(
                [(field, ASCENDING if order > 0 else DESCENDING) for field, order in keys],
                name=index_name,
            )
            for index_name, keys in INDEXES.get(base, ())
        ]
        if models and indexes:
            await db[name].create_indexes(models)


async def set_pointer(db: Database, fields: dict[str, Any]) -> None:
    await db[READ_MODEL_VERSIONS].update_one(
        {"_id": ACTIVE_POINTER_ID}, {"$set": fields}, upsert=True
    )


async def drop_version(db: Database, version: int) -> None:
    for base in VERSIONED_COLLECTIONS:
        await db.drop_collection(collection_name(base, version))


async def existing_versions(db: Database) -> list[int]:
    prefix = f"{VERSIONED_COLLECTIONS[0]}_v"
    names = await db.list_collection_names()
    return sorted(int(n[len(prefix) :]) for n in names if n.startswith(prefix))
