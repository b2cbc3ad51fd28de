"""The live projector: persistent subscription in, batches into the read models, acks out.

Nothing stops it for good (see ``failures`` for whose fault a failure is):

- A store failure is retried with backoff (``orders_runtime.backoff``); the replica says
  ``retrying`` and its health NOT_SERVING, and acknowledges and parks nothing meanwhile. A
  batch still failing after half the group's message timeout is let go, unacknowledged: the
  subscription is dropped until both stores answer again, so the event store does not count
  timeouts against events.
- An event's own failure is found by bisecting its batch (``isolation``); the rest is written
  and acknowledged, and the culprit is nacked with its reason logged: parked at once when no
  retry can help (it does not decode, or contradicts its stream), else retried by the group
  and parked once its retries are spent. Parked events are counted (``events_parked``).
- A later event of a stream with a parked revision finds a gap, and the writer reads the
  parked revision back: it fails the same way, so the later event is parked too, with a reason
  naming the revision it waits for. That stream stops there until an operator repairs it
  (replaying the parked events once fixed); every other stream flows.
- Events waiting while none arrive for ``stall_seconds`` (``stall_watch``): the replica says
  ``stalled`` and reconnects to the event store on a new connection.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import structlog
from kurrentdbclient import AsyncKurrentDBClient, RecordedEvent
from kurrentdbclient.exceptions import ProgrammingError
from kurrentdbclient.persistent import AsyncPersistentSubscription

from orders_runtime.backoff import Backoff, retry_while_down
from projector.batch_plan import BatchChanges
from projector.batch_telemetry import BatchObserver
from projector.batch_writer import BatchWriter
from projector.batching import Linger
from projector.envelope import Envelope
from projector.event_source import from_recorded
from projector.failures import Failure, classify, describe, is_infrastructure
from projector.isolation import AfterWrite, write_isolating
from projector.parked import OnParked
from projector.progress_recorder import ProgressRecorder
from projector.projector_state import StateBoard
from projector.stall_watch import StallWatch
from projector.subscription_group import GroupSettings, ensure_group
from projector.versions import Database

log = structlog.get_logger("projector")

__all__ = ["AfterWrite", "BatchSettings", "Consumer", "next_batch"]

T = TypeVar("T")

# A call that hangs on a connection that went silent must not hold a reconnect up.
CALL_TIMEOUT = 10.0


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
    adaptive_linger: bool = True
    """Under load, a batch lingers for more events as long as the last one took to write
    (``projector.batching``); idle, it never waits."""


async def next_batch(
    queue: asyncio.Queue[T], max_size: int, max_wait: float, linger: float = 0.0
) -> list[T]:
    """Wait for one event, then take what is already queued, up to a size or a time; with
    ``linger``, an empty queue is waited on for up to that long after the first event."""
    batch = [await queue.get()]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_wait
    linger_until = loop.time() + min(linger, max_wait)
    while len(batch) < max_size and loop.time() < deadline:
        try:
            batch.append(queue.get_nowait())
        except asyncio.QueueEmpty:
            # One turn of the loop lets the subscription hand over what it already received.
            await asyncio.sleep(0)
            if not queue.empty():
                continue
            remaining = linger_until - loop.time()
            if remaining <= 0:
                break
            try:
                async with asyncio.timeout(remaining):
                    batch.append(await queue.get())
            except TimeoutError:
                break
    return batch


def _is_lost(error: BaseException) -> bool:
    return isinstance(error, SubscriptionEndedError) or is_infrastructure(error)


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
        board: StateBoard | None = None,
        stall_seconds: float = 30.0,
        watch_eventstore: AsyncKurrentDBClient | None = None,
        backoff: Backoff | None = None,
        on_parked: OnParked | None = None,
        observer: BatchObserver | None = None,
    ) -> None:
        self._eventstore = eventstore
        self._on_parked = on_parked
        self._db = db
        self._writer = writer
        self._group = group
        self._batch = batch
        self._after_write = after_write
        self._board = board or StateBoard()
        self._watch = StallWatch(
            watch_eventstore or eventstore,
            db,
            self._board,
            stall_seconds,
            lambda: (self._handled, self._handled_position),
        )
        self._backoff = backoff or Backoff()
        self._stopping = asyncio.Event()
        self._observer = observer or BatchObserver()
        self._progress = ProgressRecorder(
            eventstore,
            db,
            self._board,
            interval=batch.progress_interval,
            stopping=self._stopping,
            observer=self._observer,
        )
        self._handled = 0
        self._handled_position = 0

    @property
    def board(self) -> StateBoard:
        return self._board

    def stop(self) -> None:
        """Finish the batch in hand, ack it, and return from run()."""
        self._stopping.set()

    async def run(self) -> None:
        """Consume until stop(); store outages are waited out, a stall is reconnected."""
        try:
            while not self._stopping.is_set():
                try:
                    async for attempt in retry_while_down(
                        is_down=_is_lost,
                        on_retry=self._subscription_lost,
                        stopping=self._stopping,
                        backoff=self._backoff,
                    ):
                        with attempt:
                            await self._consume_watched()
                except Exception as error:
                    if not (self._stopping.is_set() and _is_lost(error)):
                        raise
        finally:
            await self._progress.leave()

    async def _subscription_lost(self, error: BaseException, delay: float) -> None:
        log.warning("subscription lost, reconnecting", error=describe(error), retry_in=delay)
        await self._board.set("retrying", f"subscription lost: {describe(error)}")
        await self._wait_for_stores()

    async def _wait_for_stores(self) -> None:
        """Subscribe again only once both stores answer: events taken now would only wait."""
        async for attempt in retry_while_down(
            is_down=is_infrastructure,
            on_retry=self._store_down,
            stopping=self._stopping,
            backoff=self._backoff,
        ):
            with attempt:
                async with asyncio.timeout(CALL_TIMEOUT):
                    await self._db.command("ping")
                    await self._eventstore.get_commit_position()

    async def _store_down(self, error: BaseException, delay: float) -> None:
        log.warning("store unavailable, retrying", error=describe(error), retry_in=delay)
        await self._board.set("retrying", describe(error))

    async def _consume_watched(self) -> None:
        consume = asyncio.create_task(self._consume())
        watch = asyncio.create_task(self._watch.until_stalled())
        try:
            await asyncio.wait({consume, watch}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stalled = watch.done() and not consume.done()
            if stalled:
                # A new connection fails whatever still hangs on the old one.
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(CALL_TIMEOUT):
                        await self._eventstore.reconnect()
            for task in (consume, watch):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if stalled:
            watch.result()  # the watch's own failure, if it failed rather than found a stall
            return
        consume.result()

    async def _consume(self) -> None:
        await ensure_group(self._eventstore, self._group)
        subscription = await self._eventstore.read_subscription_to_all(
            self._group.name, event_buffer_size=self._batch.max_size * 2
        )
        assert isinstance(subscription, AsyncPersistentSubscription)
        queue: asyncio.Queue[RecordedEvent] = asyncio.Queue(maxsize=self._batch.max_size * 2)
        reader = asyncio.create_task(self._read(subscription, queue))
        linger = Linger(self._batch.max_wait, enabled=self._batch.adaptive_linger)
        log.info("projector started", group=self._group.name)
        if self._board.state in ("starting", "retrying"):
            await self._board.set("running")
        try:
            while not self._stopping.is_set():
                batch_task = asyncio.create_task(
                    next_batch(queue, self._batch.max_size, self._batch.max_wait, linger.seconds)
                )
                stop_task = asyncio.create_task(self._stopping.wait())
                done, _ = await asyncio.wait(
                    {batch_task, stop_task, reader}, return_when=asyncio.FIRST_COMPLETED
                )
                stop_task.cancel()
                if batch_task in done:
                    started = asyncio.get_running_loop().time()
                    with self._observer.batch(batch_task.result()) as batch:
                        await self._handle(subscription, batch)
                    linger.observe(queue.qsize(), asyncio.get_running_loop().time() - started)
                    continue
                # Events taken but not handled are not acked: the group redelivers them.
                batch_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await batch_task
                if reader in done:
                    reader.result()
                    raise SubscriptionEndedError(self._group.name)
        finally:
            await self._progress.settle()
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
        failed: list[tuple[RecordedEvent, Failure]] = []
        for recorded in batch:
            try:
                decoded.append((recorded, from_recorded(recorded)))
            except Exception as error:
                failed.append((recorded, classify(error)))
        try:
            outcome = await write_isolating(
                decoded, self._write, self._write_revisions, self._after_write
            )
        except Exception as error:
            if is_infrastructure(error) and self._stopping.is_set():
                return  # stopping while a store is down: nothing acked, all redelivered
            raise
        counts: Counter[str] = sum((c.counts for c in outcome.changes), Counter())
        try:
            for recorded, _ in outcome.written:
                await subscription.ack(recorded.ack_id)
            for recorded, failure in [*failed, *outcome.failed]:
                counts["parked"] += await self._reject(subscription, recorded, failure)
        except ProgrammingError as error:
            # The client refuses acks once its subscription has stopped (the event store went
            # away mid-batch): a lost subscription like any other. What was written but not
            # acked is redelivered and is a no-op; what was to be parked fails again.
            raise SubscriptionEndedError(self._group.name) from error
        last = max((e for _, e in outcome.written), key=lambda e: e.commit_position, default=None)
        self._handled += len(batch)
        positions = [r.commit_position or 0 for r in batch]
        self._handled_position = max(self._handled_position, *positions)
        if self._board.state != "running":
            await self._board.set("running")
        self._progress.add(counts, last)

    async def _write(self, envelopes: list[Envelope]) -> BatchChanges:
        """Retry through outages of either store, for half the group's message timeout."""
        return await self._retrying_stores(lambda: self._writer.write(envelopes))

    async def _write_revisions(self, stream_name: str, revisions: range) -> BatchChanges:
        return await self._retrying_stores(
            lambda: self._writer.write_revisions(stream_name, revisions)
        )

    async def _retrying_stores(self, call: Callable[[], Awaitable[BatchChanges]]) -> BatchChanges:
        # Events held longer than the message timeout would be redelivered and counted as
        # retries: past half of it, the batch is let go and the subscription with it.
        async for attempt in retry_while_down(
            is_down=is_infrastructure,
            on_retry=self._store_down,
            stopping=self._stopping,
            backoff=self._backoff,
            give_up_after=self._group.message_timeout / 2,
        ):
            with attempt:
                changes: BatchChanges = await call()
                return changes
        raise AssertionError("retry_while_down returns or raises")

    async def _reject(
        self, subscription: AsyncPersistentSubscription, recorded: RecordedEvent, failure: Failure
    ) -> int:
        retries = recorded.retry_count or 0
        parked = failure.hopeless or retries >= self._group.max_retry_count
        # Recorded before the nack: a failure here leaves the event to be redelivered. An event
        # parked before (redelivered after a message timeout, or parked by another replica) is
        # nacked again, but neither logged nor counted twice.
        first_time = True
        if parked and self._on_parked is not None:
            first_time = await self._on_parked(recorded, failure)
        if first_time:
            log.error(
                "event parked" if parked else "event failed, will be retried",
                stream=recorded.stream_name,
                revision=recorded.stream_position,
                event_type=recorded.type,
                retry_count=retries,
                reason=failure.reason,
            )
        await subscription.nack(recorded.ack_id, "park" if parked else "retry")
        return int(parked and first_time)
