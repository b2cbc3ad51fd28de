"""The live projector: persistent subscription in, batches into the read models, acks out."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import structlog
from kurrentdbclient import AsyncKurrentDBClient, RecordedEvent
from kurrentdbclient.exceptions import KurrentDBClientError
from kurrentdbclient.persistent import AsyncPersistentSubscription
from pymongo.errors import PyMongoError

from orders_contracts.codec import MalformedEventError
from projector.batch_plan import BatchChanges
from projector.batch_writer import BatchWriter, ContentionError
from projector.envelope import Envelope
from projector.event_source import HeadTracker, Lag, from_recorded
from projector.progress import record_progress
from projector.subscription_group import GroupSettings, ensure_group
from projector.versions import Database, active_version

log = structlog.get_logger("projector")

AfterWrite = Callable[[BatchChanges], Awaitable[None]]
"""Called between the durable write and the acks; tests use it to crash right there."""

T = TypeVar("T")

INFRASTRUCTURE_ERRORS = (PyMongoError, KurrentDBClientError, OSError, ContentionError)


class SubscriptionEndedError(Exception):
    """The server ended the subscription stream."""


@dataclass(frozen=True)
class BatchSettings:
    max_size: int = 500
    max_wait: float = 0.05
    """Longest a batch keeps gathering while events keep arriving; an empty queue flushes."""
    progress_interval: float = 0.1
    """Shortest time between two status-document writes: the batches in between are summed.
    Each write is several documents on the same database the next batch needs."""


async def next_batch(queue: asyncio.Queue[T], max_size: int, max_wait: float) -> list[T]:
    """Wait for one event, then take what is already queued, up to a size or a time."""
    batch = [await queue.get()]
    deadline = asyncio.get_running_loop().time() + max_wait
    while len(batch) < max_size and asyncio.get_running_loop().time() < deadline:
        try:
            batch.append(queue.get_nowait())
        except asyncio.QueueEmpty:
            # One turn of the loop lets the subscription hand over what it already received.
            await asyncio.sleep(0)
            if queue.empty():
                break
    return batch


class Consumer:
    def __init__(
        self,
        eventstore: AsyncKurrentDBClient,
        db: Database,
        writer: BatchWriter,
        group: GroupSettings,
        batch: BatchSettings,
        *,
        after_write: AfterWrite | None = None,
        retry_backoff: float = 0.5,
    ) -> None:
        self._eventstore = eventstore
        self._db = db
        self._writer = writer
        self._group = group
        self._batch = batch
        self._after_write = after_write
        self._retry_backoff = retry_backoff
        self._head = HeadTracker(eventstore)
        self._stopping = asyncio.Event()
        self._lag = Lag(0, 0, 0.0)
        self._unrecorded: Counter[str] = Counter()
        self._unrecorded_last: Envelope | None = None
        self._recorder: asyncio.Task[None] | None = None

    def stop(self) -> None:
        """Finish the batch in hand, ack it, and return from run()."""
        self._stopping.set()

    async def run(self) -> None:
        """Consume until stop(); a lost subscription or store is reconnected after a pause."""
        while not self._stopping.is_set():
            try:
                await self._consume()
            except (*INFRASTRUCTURE_ERRORS, SubscriptionEndedError) as error:
                log.warning("subscription lost, reconnecting", error=repr(error))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self._retry_backoff)

    async def _consume(self) -> None:
        await ensure_group(self._eventstore, self._group)
        subscription = await self._eventstore.read_subscription_to_all(
            self._group.name, event_buffer_size=self._batch.max_size * 2
        )
        assert isinstance(subscription, AsyncPersistentSubscription)
        queue: asyncio.Queue[RecordedEvent] = asyncio.Queue(maxsize=self._batch.max_size * 2)
        reader = asyncio.create_task(self._read(subscription, queue))
        log.info("projector started", group=self._group.name)
        try:
            while not self._stopping.is_set():
                batch_task = asyncio.create_task(
                    next_batch(queue, self._batch.max_size, self._batch.max_wait)
                )
                stop_task = asyncio.create_task(self._stopping.wait())
                done, _ = await asyncio.wait(
                    {batch_task, stop_task, reader}, return_when=asyncio.FIRST_COMPLETED
                )
                stop_task.cancel()
                if batch_task in done:
                    await self._handle(subscription, batch_task.result())
                    continue
                # Events taken but not handled are not acked: the group redelivers them.
                batch_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await batch_task
                if reader in done:
                    reader.result()
                    raise SubscriptionEndedError(self._group.name)
        finally:
            if self._recorder is not None:
                with contextlib.suppress(Exception):
                    await self._recorder
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
            with contextlib.suppress(Exception):
                await subscription.stop(timeout=5)
            log.info("projector stopped", group=self._group.name)

    async def _read(
        self, subscription: AsyncPersistentSubscription, queue: asyncio.Queue[RecordedEvent]
    ) -> None:
        async for recorded in subscription:
            await queue.put(recorded)

    async def _handle(
        self, subscription: AsyncPersistentSubscription, batch: Sequence[RecordedEvent]
    ) -> None:
        decoded: list[tuple[RecordedEvent, Envelope]] = []
        failed: list[tuple[RecordedEvent, Exception]] = []
        for recorded in batch:
            try:
                decoded.append((recorded, from_recorded(recorded)))
            except MalformedEventError as error:
                failed.append((recorded, error))
        counts: Counter[str] = Counter()
        last: Envelope | None = None
        done: list[RecordedEvent] = []
        groups = [decoded]
        while groups:
            group = groups.pop()
            if not group:
                continue
            try:
                changes = await self._write([envelope for _, envelope in group])
            except Exception as error:
                if len({e.stream_name for _, e in group}) > 1:
                    # Isolate the poison: every stream on its own, so other orders still flow.
                    by_stream: dict[str, list[tuple[RecordedEvent, Envelope]]] = defaultdict(list)
                    for item in group:
                        by_stream[item[1].stream_name].append(item)
                    groups.extend(by_stream.values())
                else:
                    failed.extend((recorded, error) for recorded, _ in group)
                continue
            if changes is None:
                return  # stopping while the stores are down: nothing acked, all redelivered
            if self._after_write is not None:
                await self._after_write(changes)
            counts += changes.counts
            done.extend(recorded for recorded, _ in group)
            newest = max((e for _, e in group), key=lambda e: e.commit_position)
            if last is None or newest.commit_position > last.commit_position:
                last = newest
        for recorded in done:
            await subscription.ack(recorded.ack_id)
        for recorded, reason in failed:
            counts["parked"] += await self._reject(subscription, recorded, reason)
        self._schedule_record(counts, last)

    def _schedule_record(self, counts: Counter[str], last: Envelope | None) -> None:
        """Progress is written beside the pipeline, coalescing batches while a write is slow,
        so the next batch never waits for it."""
        self._unrecorded += counts
        if last is not None and (
            self._unrecorded_last is None
            or last.commit_position > self._unrecorded_last.commit_position
        ):
            self._unrecorded_last = last
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.create_task(self._record_pending())

    async def _record_pending(self) -> None:
        while self._unrecorded or self._unrecorded_last is not None:
            counts, last = self._unrecorded, self._unrecorded_last
            self._unrecorded, self._unrecorded_last = Counter(), None
            await self._record(counts, last)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._batch.progress_interval)

    async def _write(self, envelopes: list[Envelope]) -> BatchChanges | None:
        """Retry through outages of either store; other errors are the events' fault."""
        while True:
            try:
                return await self._writer.write(envelopes)
            except INFRASTRUCTURE_ERRORS as error:
                log.warning("store unavailable, retrying batch", error=repr(error))
                if self._stopping.is_set():
                    return None
                await asyncio.sleep(self._retry_backoff)

    async def _reject(
        self, subscription: AsyncPersistentSubscription, recorded: RecordedEvent, error: Exception
    ) -> int:
        retries = recorded.retry_count or 0
        parked = retries >= self._group.max_retry_count
        log.error(
            "event parked" if parked else "event failed, will be retried",
            stream=recorded.stream_name,
            revision=recorded.stream_position,
            event_type=recorded.type,
            retry_count=retries,
            error=repr(error),
        )
        await subscription.nack(recorded.ack_id, "park" if parked else "retry")
        return int(parked)

    async def _record(self, counts: Counter[str], last: Envelope | None) -> None:
        try:
            position = last.commit_position if last is not None else 0
            if last is not None:
                self._lag = await self._head.lag(position, last.recorded_at)
            lag = self._lag
            version = await active_version(self._db)
            await record_progress(self._db, version, counts, position, lag, datetime.now(UTC))
        except INFRASTRUCTURE_ERRORS as error:
            log.warning("progress not recorded", error=repr(error))
        skipped = {k: counts[k] for k in ("unknown_type", "newer_schema") if counts[k]}
        if skipped:
            log.warning("events skipped: not understood by this projector version", **skipped)
        log.debug("batch done", **{k: v for k, v in counts.items() if v}, **_position(last))


def _position(last: Envelope | None) -> dict[str, Any]:
    return {} if last is None else {"commit_position": last.commit_position}
