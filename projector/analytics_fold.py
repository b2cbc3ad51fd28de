"""A stopping replica's analytics shards folded into the unsharded documents.

Every process of a replica writes shards of its own (``projector.analytics``), so without this
each restart would leave one more document per bucket for every read to add up. Once its last
batch has committed, a replica that stops cleanly moves each of its shard documents into the
unsharded one (a shard like any other, which rebuilds and repairs write too): ``$inc`` by the
part's counts and sums, then delete the part, all in one transaction, so a reader adding up a
bucket's documents sees the same totals before, during and after. A replica killed with -9
leaves its shards, still summed correctly: the documents grow with crashes, not with restarts.

Every read-model version is folded, each shard document into the unsharded document of its own
version: a replica that lived through a rebuild's switch wrote shards in the old version and in
the new one, and the kept old version must stay exact for a rollback. A version being built
holds no shards of live replicas (they write the active one), so a rebuild in progress is left
alone. Only documents the transaction itself finds are folded, so a version dropped meanwhile is
not brought back.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

import structlog
from pymongo import AsyncMongoClient, DeleteOne, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.read_concern import ReadConcern

from orders_contracts.read_models import SALES_BY_DAY, SALES_BY_STATUS, collection_name
from orders_contracts.stored_sums import to_store
from projector.analytics import LEGACY_SHARD, SHARD_SEPARATOR, logical_id, shard_id
from projector.analytics_shards import folded_part
from projector.durable import DURABLE, durable, in_transaction
from projector.failures import describe
from projector.versions import existing_versions

log = structlog.get_logger("projector")

FOLD_GRACE = 5.0
"""Seconds a stopping replica gives the fold before it leaves its shards as they are."""

COUNTERS = (SALES_BY_STATUS, SALES_BY_DAY)


class ShardVanishedError(Exception):
    """A shard document found in the transaction was not deleted by it."""


@dataclass(frozen=True)
class Folded:
    documents: int
    versions: tuple[int, ...]


def _is_own(doc_id: str, shard: str) -> bool:
    return doc_id != logical_id(doc_id) and shard_id(logical_id(doc_id), shard) == doc_id


async def fold_shards(
    client: AsyncMongoClient[dict[str, Any]], database: str, shard: str
) -> Folded:
    """Fold ``shard``'s analytics documents of every version in one durable transaction."""
    if shard == LEGACY_SHARD:
        return Folded(0, ())
    db = durable(client[database])
    # Listing collections is not allowed inside a transaction.
    versions = await existing_versions(db)
    own = {"_id": {"$regex": f"{re.escape(SHARD_SEPARATOR + shard)}$"}}

    async def fold(session: AsyncClientSession) -> Folded:
        ops: list[UpdateOne | DeleteOne] = []
        deletes = 0
        folded_versions: set[int] = set()
        for version in versions:
            for base in COUNTERS:
                namespace = f"{db.name}.{collection_name(base, version)}"
                async for part in db[collection_name(base, version)].find(own, session=session):
                    part_id = str(part["_id"])
                    if not _is_own(part_id, shard):
                        continue
                    keys, counts = folded_part(part)
                    # Created as the batches create a part: its fields, then its counts.
                    update: dict[str, Any] = {"$setOnInsert": keys}
                    if counts:
                        update["$inc"] = to_store(base, counts)
                    ops.append(
                        UpdateOne(
                            {"_id": logical_id(part_id)}, update, upsert=True, namespace=namespace
                        )
                    )
                    ops.append(DeleteOne({"_id": part_id}, namespace=namespace))
                    deletes += 1
                    folded_versions.add(version)
        if ops:
            result = await client.bulk_write(ops, ordered=True, session=session)
            if result.deleted_count != deletes:
                raise ShardVanishedError(f"{deletes - result.deleted_count} shard documents")
        return Folded(deletes, tuple(sorted(folded_versions)))

    return await in_transaction(
        client, fold, read_concern=ReadConcern("snapshot"), write_concern=DURABLE
    )


async def fold_on_stop(
    client: AsyncMongoClient[dict[str, Any]], database: str, shard: str, grace: float
) -> Folded | None:
    """The fold, given at most ``grace`` seconds; a fold that fails or runs late leaves the
    shards where they are (still exact) and says why, without holding up the shutdown. A commit
    cut short by the grace may still land: either way the totals are the same."""
    try:
        async with asyncio.timeout(grace):
            folded = await fold_shards(client, database, shard)
    except TimeoutError:
        log.warning(
            "analytics shards not folded",
            shard=shard,
            reason=f"the store did not confirm the fold within {grace:g} s",
        )
        return None
    except Exception as error:
        log.warning("analytics shards not folded", shard=shard, reason=describe(error))
        return None
    log.info(
        "analytics shards folded",
        shard=shard,
        documents=folded.documents,
        versions=list(folded.versions),
    )
    return folded
