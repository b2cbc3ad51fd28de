"""One batch of events into the read models: load, repair gaps, plan, write, in one transaction."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError, OperationFailure, PyMongoError

from orders_contracts.streams import ORDER_STREAM_PREFIX, id_from_stream
from projector.batch_plan import (
    BatchChanges,
    Snapshot,
    customers_needed,
    fresh_events,
    missing_revisions,
    plan_batch,
)
from projector.envelope import Envelope
from projector.store import StaleSnapshotError, load_customers, load_orders, write_changes
from projector.versions import Database, active_version, ensure_collections

StreamReader = Callable[[str, range], Awaitable[list[Envelope]]]
"""Reads the given revisions of a stream from the event store (gap repair)."""

MAX_CONFLICT_RETRIES = 50


def is_conflict(error: BaseException) -> bool:
    """Another transaction touched the same documents: retrying the batch resolves it."""
    if isinstance(error, StaleSnapshotError | DuplicateKeyError):
        return True
    if isinstance(error, PyMongoError) and error.has_error_label("TransientTransactionError"):
        return True
    return isinstance(error, OperationFailure) and error.code in (112, 251, 11000)


class BatchWriter:
    def __init__(
        self,
        client: AsyncMongoClient[dict[str, Any]],
        database: str,
        read_stream: StreamReader,
        *,
        version: int | None = None,
    ) -> None:
        self._client = client
        self._db: Database = client[database]
        self._read_stream = read_stream
        self._fixed_version = version
        self._ensured: set[int] = set()

    async def _version(self, session: AsyncClientSession | None) -> int:
        if self._fixed_version is not None:
            return self._fixed_version
        return await active_version(self._db, session)

    async def write(self, envelopes: Sequence[Envelope]) -> BatchChanges:
        """Apply a batch exactly once; conflicts with other projectors are retried."""
        by_stream: dict[str, list[Envelope]] = defaultdict(list)
        for envelope in envelopes:
            by_stream[envelope.stream_name].append(envelope)
        for attempt in range(MAX_CONFLICT_RETRIES):
            version = await self._version(None)
            if version not in self._ensured:
                await ensure_collections(self._db, version)
                self._ensured.add(version)
            try:
                return await self._attempt(by_stream, version)
            except Exception as error:
                if not is_conflict(error) or attempt == MAX_CONFLICT_RETRIES - 1:
                    raise
            await asyncio.sleep(random.uniform(0, 0.005 * (attempt + 1)))
        raise AssertionError("unreachable")

    async def _attempt(self, by_stream: dict[str, list[Envelope]], version: int) -> BatchChanges:
        async with self._client.start_session() as session, await session.start_transaction():
            if await self._version(session) != version:
                raise StaleSnapshotError("read-model version switched")
            changes = await self._plan(session, by_stream, version)
            await write_changes(self._db, version, changes, datetime.now(UTC), session)
        return changes

    async def _plan(
        self,
        session: AsyncClientSession,
        by_stream: dict[str, list[Envelope]],
        version: int,
    ) -> BatchChanges:
        order_ids = [id_from_stream(s) for s in by_stream if s.startswith(ORDER_STREAM_PREFIX)]
        summaries, details = await load_orders(self._db, version, order_ids, session)
        snapshot = Snapshot(summaries, details, {})
        streams: dict[str, list[Envelope]] = {
            name: await self._contiguous(name, snapshot.revision(name), envelopes)
            for name, envelopes in by_stream.items()
            if name.startswith(ORDER_STREAM_PREFIX)
        }
        customers = await load_customers(
            self._db, version, customers_needed(snapshot, {**by_stream, **streams}), session
        )
        snapshot = Snapshot(summaries, details, customers)
        for name, envelopes in by_stream.items():
            if not name.startswith(ORDER_STREAM_PREFIX):
                streams[name] = await self._contiguous(name, snapshot.revision(name), envelopes)
        changes = plan_batch(snapshot, streams)
        for name, envelopes in by_stream.items():
            fresh = fresh_events(snapshot.revision(name), envelopes)
            changes.counts["duplicate"] += len(envelopes) - len(fresh)
            changes.counts["gap_repaired"] += len(streams[name]) - len(fresh)
        return changes

    async def _contiguous(
        self, stream_name: str, current: int, delivered: list[Envelope]
    ) -> list[Envelope]:
        fresh = fresh_events(current, delivered)
        missing = missing_revisions(current, fresh)
        if missing is None:
            return fresh
        repaired = fresh_events(current, [*await self._read_stream(stream_name, missing), *fresh])
        if missing_revisions(current, repaired) is not None:
            # The store does not have them yet either: apply what is contiguous.
            contiguous = [e for i, e in enumerate(repaired) if e.revision == current + 1 + i]
            return contiguous
        return repaired
