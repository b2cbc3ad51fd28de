"""Writing the expected documents over divergent ones, so that no live batch is ever undone.

One transaction per repair, like one projector batch:
- each document to replace, insert or delete is read again inside the transaction and must
  still be exactly what the verification saw; one that is not was moved by a projector since,
  and is left to the next verification (a stream being brought to its head is written whole or
  not at all: the counters' correction includes its move);
- a write to a document another transaction changed after ours began fails with a write
  conflict (snapshot isolation), so a batch that commits meanwhile is never overwritten;
- counters move by $inc of (expected - seen), through the projector's own counter writes: a
  correction commutes with the live batches' own deltas, so a busy counter (today's sales) can
  be corrected while batches keep moving it.
The transaction commits with majority/journaled write concern.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pymongo import AsyncMongoClient, DeleteOne, InsertOne, ReplaceOne, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import PyMongoError
from pymongo.read_concern import ReadConcern

from orders_contracts.read_models import SALES_BY_STATUS, collection_name
from orders_contracts.stored_sums import to_store
from projector.analytics import AnalyticsDeltas
from projector.batch_plan import BatchChanges, Snapshot
from projector.batch_writer import is_write_conflict
from projector.durable import DURABLE, in_transaction
from projector.store import StaleSnapshotError, write_changes
from projector.verify_compare import Divergence, numeric_leaves, plain
from projector.verify_snapshot import COUNTERS, Doc, StoredModel, without_wall_clock
from projector.versions import Database, active_version

Outcome = Literal["committed", "moved", "unknown", "contended"]


@dataclass(frozen=True)
class RepairPlan:
    stored: StoredModel
    """The snapshot the divergences were found in."""
    divergences: Sequence[Divergence]
    expected: Mapping[str, Mapping[str, Any]]
    """Raw expected documents by collection and id."""
    catching_up: frozenset[tuple[str, str]] = frozenset()
    """(collection, id) of documents brought to their stream's head."""


@dataclass(frozen=True)
class RepairResult:
    outcome: Outcome
    """committed; moved: a document brought to its head changed since it was verified, nothing
    written; unknown: the commit's result was lost; contended: write conflicts every time."""
    documents: int = 0
    counters: int = 0
    skipped: int = 0
    """Documents left alone because a projector moved them since the verification."""


class MovedError(Exception):
    """A document to repair is no longer what the verification saw."""


async def _moved(
    db: Database, version: int, divergences: Sequence[Divergence], session: AsyncClientSession
) -> set[tuple[str, str]]:
    by_collection: dict[str, dict[str, Doc | None]] = {}
    for d in divergences:
        by_collection.setdefault(d.collection, {})[d.doc_id] = d.actual
    moved: set[tuple[str, str]] = set()
    for base, seen in by_collection.items():
        cursor = db[collection_name(base, version)].find(
            {"_id": {"$in": list(seen)}}, session=session
        )
        now = {str(doc["_id"]): without_wall_clock(doc) async for doc in cursor}
        moved |= {(base, i) for i, doc in seen.items() if plain(now.get(i)) != plain(doc)}
    return moved


def _document_op(d: Divergence, expected: Mapping[str, Any], now: datetime) -> Any:
    guard = {"_id": d.doc_id}
    if d.actual is not None and "revision" in d.actual:
        guard["revision"] = d.actual["revision"]
    if d.expected is None:
        return DeleteOne(guard)
    # Written in the projector's stored form (sums as Decimal128), not the fold's ints.
    stored = {**to_store(d.collection, expected), "projected_at": now}
    if d.actual is None:
        return InsertOne(stored)
    return ReplaceOne(guard, stored)


def _counter_deltas(divergences: Sequence[Divergence]) -> AnalyticsDeltas:
    deltas = AnalyticsDeltas()
    for d in divergences:
        want = numeric_leaves(d.expected or {})
        got = numeric_leaves(d.actual or {})
        counters = {f: int(want.get(f, 0) - got.get(f, 0)) for f in want.keys() | got.keys()}
        source = d.expected or d.actual or {}
        keys = {k: v for k, v in source.items() if k != "_id" and not numeric_leaves({k: v})}
        if d.collection == SALES_BY_STATUS:
            deltas.by_status[d.doc_id], deltas.by_status_keys[d.doc_id] = counters, keys
        else:
            deltas.by_day[d.doc_id], deltas.by_day_keys[d.doc_id] = counters, keys
    return deltas


def _counter_key_fixes(divergences: Sequence[Divergence]) -> list[UpdateOne]:
    """A counter document whose own keys (day, currency, status) were changed gets them back."""
    fixes = []
    for d in divergences:
        if d.expected is None or d.actual is None:
            continue
        keys = {k: v for k, v in d.expected.items() if k in d.fields and not numeric_leaves({k: v})}
        if keys:
            fixes.append(UpdateOne({"_id": d.doc_id}, {"$set": keys}))
    return fixes


async def _write_documents(
    db: Database, plan: RepairPlan, session: AsyncClientSession, now: datetime
) -> tuple[int, int]:
    version = plan.stored.version
    documents = [d for d in plan.divergences if d.collection not in COUNTERS]
    moved = await _moved(db, version, documents, session)
    if moved & plan.catching_up:
        raise MovedError(str(sorted(moved & plan.catching_up)[0]))
    by_collection: dict[str, list[Any]] = {}
    for d in documents:
        if (d.collection, d.doc_id) not in moved:
            op = _document_op(d, plan.expected[d.collection].get(d.doc_id, {}), now)
            by_collection.setdefault(d.collection, []).append(op)
    for base, ops in by_collection.items():
        result = await db[collection_name(base, version)].bulk_write(
            ops, ordered=False, session=session
        )
        if result.inserted_count + result.matched_count + result.deleted_count != len(ops):
            raise MovedError(base)
    return len(documents) - len(moved), len(moved)


async def _write_counters(
    db: Database, plan: RepairPlan, session: AsyncClientSession, now: datetime
) -> int:
    counters = [d for d in plan.divergences if d.collection in COUNTERS]
    existing = {(d.collection, d.doc_id) for d in counters if d.actual is not None}
    changes = BatchChanges(analytics=_counter_deltas(counters))
    await write_changes(db, plan.stored.version, changes, Snapshot(), now, session, existing)
    for base in COUNTERS:
        fixes = _counter_key_fixes([d for d in counters if d.collection == base])
        if fixes:
            await db[collection_name(base, plan.stored.version)].bulk_write(fixes, session=session)
    return len(counters)


async def _write(db: Database, plan: RepairPlan, session: AsyncClientSession) -> RepairResult:
    if await active_version(db, session) != plan.stored.version:
        raise MovedError("the active version changed")
    now = datetime.now(UTC)
    documents, skipped = await _write_documents(db, plan, session, now)
    counters = await _write_counters(db, plan, session, now)
    if documents == 0 and counters == 0:
        raise MovedError("every document moved")
    return RepairResult("committed", documents, counters, skipped)


async def repair(client: AsyncMongoClient[Doc], database: str, plan: RepairPlan) -> RepairResult:
    """Write the expected documents where the plan's divergences say the stored ones differ."""
    db = client[database]
    try:
        return await in_transaction(
            client,
            lambda session: _write(db, plan, session),
            read_concern=ReadConcern("snapshot"),
            write_concern=DURABLE,
        )
    except (MovedError, StaleSnapshotError):
        return RepairResult("moved")
    except PyMongoError as error:
        if error.has_error_label("UnknownTransactionCommitResult"):
            # Maybe committed: running the repair again could apply its corrections twice.
            return RepairResult("unknown")
        if is_write_conflict(error):
            return RepairResult("contended")
        raise
