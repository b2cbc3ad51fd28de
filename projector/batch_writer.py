"""One batch of events into the read models: load, repair gaps, plan, write in one transaction."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from enum import Enum, auto
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import (
    BulkWriteError,
    ClientBulkWriteException,
    OperationFailure,
    PyMongoError,
)

from orders_contracts.read_models import (
    SALES_BY_DAY,
    SALES_BY_STATUS,
    OrderDetailsDoc,
    OrderSummaryDoc,
)
from orders_contracts.streams import ORDER_STREAM_PREFIX, id_from_stream
from orders_runtime.backoff import Backoff
from projector.analytics import LEGACY_SHARD, shard_id
from projector.batch_plan import (
    BatchChanges,
    Snapshot,
    customers_needed,
    fresh_events,
    missing_revisions,
    plan_batch,
)
from projector.document_cache import DocumentCache
from projector.durable import DURABLE, durable, in_transaction
from projector.envelope import Envelope
from projector.failures import (
    ContentionError,
    UnprojectableError,
    describe,
    is_infrastructure,
    span,
)
from projector.store import StaleSnapshotError, load_customers, load_orders, write_changes
from projector.versions import Database, active_version, ensure_collections

StreamReader = Callable[[str, range], Awaitable[list[Envelope]]]
"""Reads the given revisions of a stream from the event store (gap repair)."""

MAX_REPLANS = 200
# Plans that failed their conditions against the very same documents: nobody else is moving
# them, so the batch itself contradicts what is stored (an event that does not fit its stream).
MAX_SAME_STALE_PLANS = 3
DUPLICATE_KEY, WRITE_CONFLICT, NO_SUCH_TRANSACTION = 11000, 112, 251
DOCUMENT_CACHE_SIZE = 10_000
# Between plans of a batch: jittered and growing, so that two replicas that collided drift apart.
REPLAN_BACKOFF = Backoff(initial=0.002, maximum=0.1)


def _write_error_codes(error: BaseException) -> set[int]:
    if isinstance(error, ClientBulkWriteException):
        codes = {int(e.get("code", 0)) for e in error.details.get("writeErrors", [])}
        if error.error is not None:
            codes |= _write_error_codes(error.error)
        return codes
    if isinstance(error, BulkWriteError):
        return {int(e.get("code", 0)) for e in error.details.get("writeErrors", [])}
    if isinstance(error, OperationFailure) and error.code is not None:
        return {error.code}
    return set()


def is_stale(error: BaseException) -> bool:
    """The plan was made from documents another projector has changed since: plan again."""
    return isinstance(error, StaleSnapshotError) or DUPLICATE_KEY in _write_error_codes(error)


def is_write_conflict(error: BaseException) -> bool:
    """Two transactions touched the same document at once: the same plan may simply retry."""
    if isinstance(error, ClientBulkWriteException) and isinstance(error.error, PyMongoError):
        # The client-level bulk write carries a failed command's labels on its inner error.
        return is_write_conflict(error.error)
    if isinstance(error, PyMongoError) and error.has_error_label("TransientTransactionError"):
        return True
    return bool(_write_error_codes(error) & {WRITE_CONFLICT, NO_SUCH_TRANSACTION})


class Commit(Enum):
    DONE = auto()
    # A condition failed: the documents moved since they were read, or the plan contradicts them.
    STALE = auto()
    # Other transactions kept holding the documents, or the active version moved: this says
    # nothing about the plan. A transaction a killed replica left open holds its documents until
    # the store aborts it (60 seconds in MongoDB and SecantusDB); blaming the batch for that
    # parked healthy events after every crash of a replica.
    AGAIN = auto()


class BatchWriter:
    """Writes batches so that each event counts exactly once, whoever else is writing.

    The documents are read with plain concurrent finds, the changes planned in memory, and
    written in a short transaction whose every stream- and customer-document write is
    conditional on what was read: a document read mid-way through another projector's
    transaction fails its condition, so the reads need no snapshot transaction of their own.
    A write conflict retries the same plan; a failed condition means another projector got
    there first, and the batch is planned again. The analytics deltas go to ``shard``'s
    documents: a replica that writes with a shard of its own never conflicts with another on
    them (``projector.analytics``).
    """

    def __init__(
        self,
        client: AsyncMongoClient[dict[str, Any]],
        database: str,
        read_stream: StreamReader,
        *,
        version: int | None = None,
        cache_size: int = DOCUMENT_CACHE_SIZE,
        shard: str = LEGACY_SHARD,
    ) -> None:
        self._client = client
        # Whose analytics documents the batches add to: a live replica's own.
        self.shard = shard
        # A live replica writes down the sessions of its transactions (``stale_sessions``).
        self.record_session: Callable[[AsyncClientSession], Awaitable[None]] | None = None
        self._db: Database = durable(client[database])
        self._read_stream = read_stream
        self._fixed_version = version
        self._known_version: int | None = None
        self._ensured: set[int] = set()
        # Counter documents this writer saw committed, per version: they are never deleted, so
        # a batch need not touch them again with all-zero deltas (which only make them exist).
        self._counters: dict[int, set[tuple[str, str]]] = defaultdict(set)
        self._cache = DocumentCache(cache_size)
        self._conflicts = 0

    async def _version(self, session: AsyncClientSession | None) -> int:
        if self._fixed_version is not None:
            return self._fixed_version
        return await active_version(self._db, session)

    async def write(self, envelopes: Sequence[Envelope]) -> BatchChanges:
        """Apply a batch exactly once; conflicts with other projectors are retried.

        Raises the stores' errors as they are (see ``failures``), ContentionError when other
        projectors kept winning, and UnprojectableError when the batch cannot be written for a
        reason of its own.
        """
        by_stream: dict[str, list[Envelope]] = defaultdict(list)
        for envelope in envelopes:
            by_stream[envelope.stream_name].append(envelope)
        read_back: dict[str, range] = {}
        snapshot: Snapshot | None = None
        stale_from: Snapshot | None = None
        same_stale = 0
        conflicts_before = self._conflicts
        for attempt in range(MAX_REPLANS):
            try:
                # The version seen last is a hint: the write transaction checks it again.
                version = self._known_version or await self._version(None)
                self._known_version = version
                if version not in self._ensured:
                    await ensure_collections(self._db, version)
                    self._ensured.add(version)
                snapshot = None
                read_back.clear()
                # After a failed attempt the cached documents may be what went stale.
                read, streams = await self._read(
                    by_stream, version, trusted=attempt == 0, read_back=read_back
                )
                snapshot = read
                if attempt > 0 and read == stale_from:
                    same_stale += 1
                    if same_stale >= MAX_SAME_STALE_PLANS:
                        raise UnprojectableError(
                            "the batch's conditional writes keep failing against documents that"
                            " nobody else changes: an event contradicts what is stored",
                            dict(read_back),
                        )
                else:
                    same_stale = 0
                changes = plan_batch(read, streams)
                count_deliveries(changes, read, by_stream, streams)
                committed = await self._commit(changes, read, version)
                if committed is Commit.DONE:
                    self._remember(changes, version)
                    # Contention with other writers, for the projector's metrics.
                    changes.counts["write_conflict"] += self._conflicts - conflicts_before
                    changes.counts["replanned"] += attempt
                    return changes
                stale_from = read if committed is Commit.STALE else None
            except Exception as error:
                if not (is_stale(error) or is_write_conflict(error)):
                    self._cache.forget()
                    if isinstance(error, UnprojectableError) or is_infrastructure(error):
                        raise
                    raise UnprojectableError(describe(error), dict(read_back)) from error
                stale_from = snapshot if is_stale(error) else None
            # Planned from stale documents, or lost to another projector: read afresh.
            self._cache.forget()
            await asyncio.sleep(REPLAN_BACKOFF.delay(attempt + 1))
        raise ContentionError(f"batch not written after {MAX_REPLANS} plans")

    async def write_revisions(self, stream_name: str, revisions: range) -> BatchChanges:
        """Apply revisions of a stream read from the stream itself (those a delivery waits for)."""
        try:
            envelopes = await self._read_stream(stream_name, revisions)
        except Exception as error:
            if is_infrastructure(error):
                raise
            raise UnprojectableError(describe(error)) from error
        return await self.write(envelopes)

    async def _commit(self, changes: BatchChanges, snapshot: Snapshot, version: int) -> Commit:
        """Write the plan in one transaction, or say why it must be planned again (write
        conflicts are retried inside ``in_transaction``)."""

        attempts = 0

        async def attempt(session: AsyncClientSession) -> Commit:
            nonlocal attempts
            attempts += 1
            if await self._version(session) != version:
                self._known_version = None
                return Commit.AGAIN
            await write_changes(
                self._db,
                version,
                changes,
                snapshot,
                datetime.now(UTC),
                session,
                self._counters[version],
                self.shard,
            )
            return Commit.DONE

        try:
            committed = await in_transaction(
                self._client,
                attempt,
                write_concern=DURABLE,
                record_session=self.record_session,
            )
        except Exception as error:
            if is_stale(error):
                return Commit.STALE
            if is_write_conflict(error):
                self._conflicts += 1
                return Commit.AGAIN
            raise
        finally:
            # Every run of the transaction after the first was a retry after a write conflict.
            self._conflicts += max(0, attempts - 1)
        if committed is Commit.DONE:
            self._counters[version].update(
                [(SALES_BY_STATUS, shard_id(i, self.shard)) for i in changes.analytics.by_status]
                + [(SALES_BY_DAY, shard_id(i, self.shard)) for i in changes.analytics.by_day]
            )
        return committed

    def _remember(self, changes: BatchChanges, version: int) -> None:
        orders = {
            order_id: (summary, changes.details[order_id][1])
            for order_id, (_, summary) in changes.summaries.items()
        }
        self._cache.written(version, orders, changes.customers)

    async def _read(
        self,
        by_stream: dict[str, list[Envelope]],
        version: int,
        *,
        trusted: bool,
        read_back: dict[str, range],
    ) -> tuple[Snapshot, dict[str, list[Envelope]]]:
        """The batch's documents, and each stream's events made contiguous after them.

        ``trusted``: take documents from the cache of this writer's own writes, and assume an
        order whose delivered events start at revision 0 has no documents yet. Either guess,
        if wrong, fails the transaction's conditions (or its inserts), and the batch is planned
        again untrusted. ``read_back`` receives the revisions read from each stream itself.
        """
        order_ids = [id_from_stream(s) for s in by_stream if s.startswith(ORDER_STREAM_PREFIX)]
        # The customers the events name are loaded beside the orders; only those known from
        # an order's stored summary (or a repaired event) take a second round trip.
        named = customers_needed(Snapshot(), by_stream)
        cached_orders = self._cache.orders(version, order_ids) if trusted else {}
        cached_customers = self._cache.customers(version, named) if trusted else {}
        unknown = [
            order_id
            for order_id in order_ids
            if order_id not in cached_orders
            and not (trusted and _starts_stream(by_stream[ORDER_STREAM_PREFIX + order_id]))
        ]
        (summaries, details), customers = await asyncio.gather(
            load_orders(self._db, version, unknown),
            load_customers(self._db, version, named - cached_customers.keys()),
        )
        for order_id, (cached_summary, cached_details) in cached_orders.items():
            summaries[order_id], details[order_id] = cached_summary, cached_details
        customers |= cached_customers
        for order_id in order_ids:
            summary, detail = summaries.get(order_id), details.get(order_id)
            if _revision(summary) != _revision(detail):
                # Read on either side of another projector's commit: read again.
                raise StaleSnapshotError(order_id)
        snapshot = Snapshot(summaries, details, customers)
        streams: dict[str, list[Envelope]] = {
            name: await self._contiguous(name, snapshot.revision(name), envelopes, read_back)
            for name, envelopes in by_stream.items()
            if name.startswith(ORDER_STREAM_PREFIX)
        }
        more = customers_needed(snapshot, {**by_stream, **streams}) - named
        if more:
            cached = self._cache.customers(version, more) if trusted else {}
            loaded = await load_customers(self._db, version, more - cached.keys())
            customers = {**customers, **cached, **loaded}
            snapshot = Snapshot(summaries, details, customers)
        for name, envelopes in by_stream.items():
            if not name.startswith(ORDER_STREAM_PREFIX):
                streams[name] = await self._contiguous(
                    name, snapshot.revision(name), envelopes, read_back
                )
        return snapshot, streams

    async def _contiguous(
        self,
        stream_name: str,
        current: int,
        delivered: list[Envelope],
        read_back: dict[str, range],
    ) -> list[Envelope]:
        fresh = fresh_events(current, delivered)
        missing = missing_revisions(current, fresh)
        if missing is None:
            return fresh
        read_back[stream_name] = missing
        try:
            earlier = await self._read_stream(stream_name, missing)
        except Exception as error:
            if is_infrastructure(error):
                raise
            # An event before the delivered ones cannot be read (the consumer parked it): none
            # of the later ones can be applied without it.
            raise UnprojectableError(
                f"{stream_name}@{fresh[0].revision} waits for {span(stream_name, missing)},"
                f" which cannot be read back: {describe(error)}",
                {stream_name: missing},
            ) from error
        repaired = fresh_events(current, [*earlier, *fresh])
        if missing_revisions(current, repaired) is not None:
            # The stream no longer has them (truncated, or deleted and written again): the later
            # events cannot be applied, and acknowledging them unapplied would lose them quietly.
            raise UnprojectableError(
                f"{stream_name}@{fresh[0].revision} waits for {span(stream_name, missing)},"
                " which the stream does not return",
                {stream_name: missing},
            )
        return repaired


def _starts_stream(delivered: list[Envelope]) -> bool:
    return min(envelope.revision for envelope in delivered) == 0


def _revision(doc: OrderSummaryDoc | OrderDetailsDoc | None) -> int | None:
    return None if doc is None else doc.revision


def count_deliveries(
    changes: BatchChanges,
    snapshot: Snapshot,
    delivered: dict[str, list[Envelope]],
    applied: dict[str, list[Envelope]],
) -> None:
    for name, envelopes in delivered.items():
        fresh = fresh_events(snapshot.revision(name), envelopes)
        changes.counts["duplicate"] += len(envelopes) - len(fresh)
        changes.counts["gap_repaired"] += len(applied[name]) - len(fresh)
