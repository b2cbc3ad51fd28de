"""The read models checked against a fresh fold of the event store, and repaired on request.

``verify_read_models`` reads the active version's documents in one snapshot, folds every
stream from the event store up to the revision its documents claim with the projector's own
folds (analytics and customer counters included: they are what those order revisions
contribute), and compares field by field, ``projected_at`` aside. It is exact while live
projectors write: a document behind its stream's head is compared at its own revision, and
noted as behind only once the first event it misses is older than ``max_behind`` seconds
(what a lost write looks like: the status shows no lag, the document never moves again).

``repair_read_models`` writes the expected documents where they differ, bringing behind
streams to their head, in guarded transactions (``projector.verify_repair``), and verifies
again, a few rounds at most.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from kurrentdbclient import AsyncKurrentDBClient
from pymongo import AsyncMongoClient

from orders_contracts.read_models import CUSTOMERS, ORDER_DETAILS, ORDER_SUMMARIES
from orders_contracts.streams import ORDER_STREAM_PREFIX, id_from_stream
from projector.verify_compare import Divergence, compare, expected_collections
from projector.verify_fold import Behind, Folded, fold_expected
from projector.verify_repair import RepairPlan, RepairResult, repair
from projector.verify_snapshot import VERIFIED, Doc, StoredModel, read_stored

DEFAULT_MAX_BEHIND: Final = 60.0
REPAIR_ROUNDS: Final = 3


@dataclass(frozen=True)
class Verification:
    version: int
    divergences: list[Divergence]
    behind: list[Behind]
    """Streams whose documents miss an event older than ``max_behind`` seconds."""
    max_behind: float
    checked: dict[str, int]
    """Stored documents per collection."""
    streams_pending: int
    """Streams whose documents miss an event at all: the live projector's lag, not a fault."""

    @property
    def clean(self) -> bool:
        return not self.divergences and not self.behind


@dataclass(frozen=True)
class RepairReport:
    before: Verification
    rounds: list[RepairResult]
    after: Verification


async def _verify(
    eventstore: AsyncKurrentDBClient,
    mongo: AsyncMongoClient[Doc],
    database: str,
    max_behind: float,
) -> tuple[Verification, StoredModel, Folded]:
    stored = await read_stored(mongo, database)
    folded = await fold_expected(eventstore, stored, max_behind=max_behind)
    verification = Verification(
        version=stored.version,
        divergences=compare(stored, folded.model, mongo.codec_options),
        behind=sorted(folded.behind.values(), key=lambda b: b.stream),
        max_behind=max_behind,
        checked={base: len(stored.docs(base)) for base in VERIFIED},
        streams_pending=folded.streams_pending,
    )
    return verification, stored, folded


def _catching_up(folded: Folded) -> frozenset[tuple[str, str]]:
    docs: set[tuple[str, str]] = set()
    for stream in folded.behind:
        doc_id = id_from_stream(stream)
        if stream.startswith(ORDER_STREAM_PREFIX):
            docs |= {(ORDER_SUMMARIES, doc_id), (ORDER_DETAILS, doc_id)}
        else:
            docs.add((CUSTOMERS, doc_id))
    return frozenset(docs)


async def verify_read_models(
    eventstore: AsyncKurrentDBClient,
    mongo: AsyncMongoClient[Any],
    database: str,
    *,
    max_behind: float = DEFAULT_MAX_BEHIND,
) -> Verification:
    verification, _, _ = await _verify(eventstore, mongo, database, max_behind)
    return verification


async def plan_repair(
    eventstore: AsyncKurrentDBClient,
    mongo: AsyncMongoClient[Any],
    database: str,
    *,
    max_behind: float = DEFAULT_MAX_BEHIND,
) -> tuple[Verification, RepairPlan]:
    """A verification, and the writes that would make it clean: behind streams re-projected
    to their head (what the lost batch would have done), every other divergence undone."""
    verification, stored, folded = await _verify(eventstore, mongo, database, max_behind)
    folded.model.apply(folded.catch_up)
    divergences = compare(stored, folded.model, mongo.codec_options)
    plan = RepairPlan(stored, divergences, expected_collections(folded.model), _catching_up(folded))
    return verification, plan


async def repair_read_models(
    eventstore: AsyncKurrentDBClient,
    mongo: AsyncMongoClient[Any],
    database: str,
    *,
    max_behind: float = DEFAULT_MAX_BEHIND,
    rounds: int = REPAIR_ROUNDS,
) -> RepairReport:
    verification, plan = await plan_repair(eventstore, mongo, database, max_behind=max_behind)
    before = verification
    results: list[RepairResult] = []
    for _ in range(rounds):
        # Nothing writable is left when a stream is stopped by a parked event, for instance.
        if verification.clean or not plan.divergences:
            break
        results.append(await repair(mongo, database, plan))
        verification, plan = await plan_repair(eventstore, mongo, database, max_behind=max_behind)
    return RepairReport(before, results, verification)
