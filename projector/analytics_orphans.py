"""Live replicas fold the analytics shards of replicas that are gone.

A replica that stops cleanly folds its own shards (``analytics_fold.fold_on_stop``); one killed
with -9 (the OOM killer, a lost node) cannot, and without this its shard documents would stay
for good, one more set per crash for every read to add up. So every live replica looks, now and
then, for shards whose replica no longer heartbeats in the control document (``LIVE_FOR``) and
folds them with the same one-transaction fold a stopping replica runs.

Who is gone is only a guess: a replica partitioned from the store, one whose heartbeats run
late, or one whose clock runs 10 s behind the reader's looks gone while it still writes.
Folding its shards anyway keeps every total exact, because the fold reads the parts, ``$inc``s
them into the unsharded documents and deletes them in ONE snapshot transaction, and the owner's
batches only ever ``$inc`` (with upsert) its parts in transactions of their own:

- a batch committed before the fold's snapshot is in the counts the fold moves;
- a batch committing after the snapshot but before the fold commits writes a part the fold
  deletes: the two transactions conflict, one is retried from the start (both retry write
  conflicts), and the retried one sees the other's outcome;
- a batch after the fold finds its part gone and the upsert starts it again from zero; the
  unsharded document the fold created or raised keeps the bucket existing, so a batch that
  skips an all-zero delta for a part it believes exists loses nothing readers see;
- a part the owner creates that the fold's snapshot did not see is left as it is, for the next
  round.

Readers sum a bucket's documents, so they see the same totals in every case; only which document
holds a count changes. Two live replicas folding the same orphan at once are the second case
again: one commits, the other retries and finds nothing. The ids are read before the live set,
so a replica that starts in between (it reports itself before its first batch) counts as live.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from typing import Any, Final

import structlog
from pymongo import AsyncMongoClient

from orders_contracts.read_models import collection_name
from projector.admin_control import Control
from projector.analytics import LEGACY_SHARD, SHARD_SEPARATOR
from projector.analytics_fold import COUNTERS, Folded, fold_shards
from projector.failures import describe
from projector.versions import Database, existing_versions

log = structlog.get_logger("projector")

ORPHAN_FOLD_INTERVAL: Final = 60.0
"""Seconds between two looks for the shards of replicas that are gone."""

_SEP = re.escape(SHARD_SEPARATOR)
# A shard's part: the unsharded id (two fields) followed by the separator and the shard.
_SHARDED: Final = {"_id": {"$regex": f"^[^{_SEP}]*{_SEP}[^{_SEP}]*{_SEP}"}}


def shard_of(doc_id: str) -> str:
    """The shard whose part of an analytics document ``doc_id`` is (``LEGACY_SHARD``: none)."""
    parts = doc_id.split(SHARD_SEPARATOR, 2)
    return parts[2] if len(parts) == 3 else LEGACY_SHARD


def orphan_shards(doc_ids: Iterable[str], own: str, live: Iterable[str]) -> list[str]:
    """The shards among ``doc_ids`` that are neither ``own`` nor a ``live`` replica's."""
    return sorted({shard_of(doc_id) for doc_id in doc_ids} - {LEGACY_SHARD, own, *live})


async def sharded_ids(db: Database) -> list[str]:
    """The ids of every shard part of the analytics counters, in every read-model version:
    buckets times shards, a small list."""
    ids: list[str] = []
    for version in await existing_versions(db):
        for base in COUNTERS:
            async for doc in db[collection_name(base, version)].find(_SHARDED, {"_id": 1}):
                ids.append(str(doc["_id"]))
    return ids


async def fold_orphans(
    client: AsyncMongoClient[dict[str, Any]], database: str, own: str, control: Control
) -> dict[str, Folded]:
    """One look: every orphan shard folded, each in a transaction of its own."""
    found = await sharded_ids(client[database])
    live = [report.replica for report in (await control.read()).replicas]
    folded: dict[str, Folded] = {}
    for shard in orphan_shards(found, own, live):
        folded[shard] = await fold_shards(client, database, shard)
        if folded[shard].documents:
            log.info(
                "orphaned analytics shards folded",
                shard=shard,
                documents=folded[shard].documents,
                versions=list(folded[shard].versions),
            )
    return folded


async def fold_orphans_every(
    interval: float,
    client: AsyncMongoClient[dict[str, Any]],
    database: str,
    own: str,
    control: Control,
) -> None:
    """A look every ``interval`` seconds until cancelled; a look that fails is logged and the
    next one tries again, so the replica itself never stops for it."""
    while True:
        await asyncio.sleep(interval)
        try:
            await fold_orphans(client, database, own, control)
        except Exception as error:
            log.warning("orphaned analytics shards not folded", reason=describe(error))
