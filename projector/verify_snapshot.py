"""The active version's read models as they are at one point in time: a snapshot read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.read_concern import ReadConcern

from orders_contracts.read_models import (
    CUSTOMERS,
    ORDER_DETAILS,
    ORDER_SUMMARIES,
    SALES_BY_DAY,
    SALES_BY_STATUS,
    collection_name,
)
from projector.analytics_shards import merged_shards
from projector.durable import in_transaction
from projector.versions import Database, active_version

Doc = dict[str, Any]

VERIFIED: Final = (ORDER_SUMMARIES, ORDER_DETAILS, CUSTOMERS, SALES_BY_STATUS, SALES_BY_DAY)
COUNTERS: Final = (SALES_BY_STATUS, SALES_BY_DAY)
WALL_CLOCK_FIELDS: Final = ("projected_at",)


@dataclass(frozen=True)
class StoredModel:
    """Every verified document by collection and id, without wall-clock fields."""

    version: int
    taken_at: datetime
    """Wall clock just before the snapshot: events recorded well before it should be in it."""
    collections: Mapping[str, Mapping[str, Doc]]

    def docs(self, base: str) -> Mapping[str, Doc]:
        return self.collections[base]

    def revision_of(self, base: str, doc_id: str) -> int | None:
        doc = self.collections[base].get(doc_id)
        revision = None if doc is None else doc.get("revision")
        return revision if isinstance(revision, int) else None


def without_wall_clock(doc: Doc) -> Doc:
    return {k: v for k, v in doc.items() if k not in WALL_CLOCK_FIELDS}


async def _load(db: Database, name: str, session: AsyncClientSession) -> dict[str, Doc]:
    found: dict[str, Doc] = {}
    async for doc in db[name].find({}, session=session):
        found[str(doc["_id"])] = without_wall_clock(doc)
    return found


async def read_stored(client: AsyncMongoClient[Doc], database: str) -> StoredModel:
    """Read everything inside one transaction, so that documents and counters are seen as of
    one commit: the projector changes a batch's documents and counters in one transaction,
    and they agree only when read at one point.

    On MongoDB a transaction may live 60 s (``transactionLifetimeLimitSeconds``): read models
    too large to read in that time need the limit raised.
    """
    db = client[database]

    async def read(session: AsyncClientSession) -> StoredModel:
        taken_at = datetime.now(UTC)
        version = await active_version(db, session)
        collections = {
            base: await _load(db, collection_name(base, version), session) for base in VERIFIED
        }
        # Replicas count analytics in shards of their own: what is verified is their sum.
        for base in COUNTERS:
            collections[base] = merged_shards(collections[base])
        return StoredModel(version, taken_at, collections)

    return await in_transaction(client, read, read_concern=ReadConcern("snapshot"))
