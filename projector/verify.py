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

from projector.verify_compare import Divergence, compare, expected_collections
from projector.verify_fold import Behind, Folded, fold_expected
from projector.verify_repair import RepairResult, repair
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


async def verify_read_models(
    eventstore: AsyncKurrentDBClient,
    mongo: AsyncMongoClient[Any],
    database: str,
    *,
    max_behind: float = DEFAULT_MAX_BEHIND,
) -> Verification:
    verification, _, _ = await _verify(eventstore, mongo, database, max_behind)
    return verification


async def repair_read_models(
    eventstore: AsyncKurrentDBClient,
    mongo: AsyncMongoClient[Any],
    database: str,
    *,
    max_behind: float = DEFAULT_MAX_BEHIND,
    rounds: int = REPAIR_ROUNDS,
) -> RepairReport:
    verification, stored, folded = await _verify(eventstore, mongo, database, max_behind)
    before = verification
    results: list[RepairResult] = []
    for _ in range(rounds):
        if verification.clean:
            break
        # Behind streams are re-projected to their head: what the lost batch would have done.
        folded.model.apply(folded.catch_up)
        divergences = compare(stored, folded.model, mongo.codec_options)
        if not divergences:
            break  # nothing that can be written: e.g. a stream stopped by a parked event
        expected = expected_collections(folded.model)
        results.append(await repair(mongo, database, stored, divergences, expected))
        verification, stored, folded = await _verify(eventstore, mongo, database, max_behind)
    return RepairReport(before, results, verification)
