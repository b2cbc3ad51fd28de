"""One subscription group at run time: reads its source, hands messages to consumers,
redelivers on timeout or nack, parks, and checkpoints.

Everything runs on the event loop: the public methods are synchronous and cheap, and one
task per group (started by the first consumer or replay) reads pages from storage, hands
out messages and wakes on acks, appends (`wait_for_append`) and the earliest deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import deque
from dataclasses import dataclass

import structlog

from eventstore_lite.persistent.checkpoints import CheckpointPolicy, CheckpointTracker
from eventstore_lite.persistent.consumers import Consumer, Dropped, strategy_named
from eventstore_lite.persistent.dispatch import hand_out
from eventstore_lite.persistent.errors import MaxSubscribersReachedError
from eventstore_lite.persistent.inflight import InFlight
from eventstore_lite.persistent.messages import Message, NackAction, encode
from eventstore_lite.persistent.reader import Reader
from eventstore_lite.persistent.settings import GroupDefinition
from eventstore_lite.persistent.store import GroupStore
from eventstore_lite.storage import EventStorage

log = structlog.get_logger("eventstore_lite.persistent")

# The real server checks timeouts and time-based checkpoints on a one-second clock.
_TICK_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class GroupStats:
    live: bool
    total_items: int
    last_checkpoint: int | None
    last_known: int | None
    read_buffer_count: int
    retry_buffer_count: int
    in_flight: int


class SubscriptionGroup:
    def __init__(
        self,
        definition: GroupDefinition,
        checkpoint: int | None,
        storage: EventStorage,
        store: GroupStore,
    ) -> None:
        settings = definition.settings
        self.definition = definition
        self.consumers: list[Consumer] = []
        self.total_items = 0
        self._storage = storage
        self._store = store
        self._reader = Reader(storage, definition, checkpoint)
        self._strategy = strategy_named(settings.consumer_strategy)
        self._policy = CheckpointPolicy(
            settings.checkpoint_after_ms / 1000 if settings.checkpoint_after_ms else None,
            settings.min_checkpoint_count,
            settings.max_checkpoint_count,
        )
        self._tracker = CheckpointTracker(checkpoint, time.monotonic())
        self._fresh: deque[Message] = deque()
        self._retry: deque[Message] = deque()
        self._in_flight = InFlight(settings.message_timeout_ms / 1000 or _TICK_SECONDS)
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = False

    # -- consumers -----------------------------------------------------------------------

    def connect(
        self, max_in_flight: int, peer: str, connection_name: str, structured_ids: bool
    ) -> Consumer:
        limit = self.definition.settings.max_subscriber_count
        if limit and len(self.consumers) >= limit:
            raise MaxSubscribersReachedError(self.definition.key.subscription_id)
        consumer = Consumer(max(1, max_in_flight), peer, connection_name, structured_ids)
        self.consumers.append(consumer)
        self._start()
        self._wake.set()
        return consumer

    def disconnect(self, consumer: Consumer) -> None:
        if consumer not in self.consumers:
            return
        self.consumers.remove(consumer)
        for message in self._in_flight.of(consumer):
            message.retry_count += 1
            self._retry.append(message)
        if self.consumers:
            self._wake.set()
        else:
            self._sleep()

    def ack(self, ids: list[uuid.UUID]) -> None:
        forget: list[int] = []
        for event_id in ids:
            message = self._in_flight.take(event_id)
            if message is not None:
                self._finish(message, forget)
        self._store.forget_parked(forget)
        self._checkpoint(time.monotonic(), time_check=False)
        self._wake.set()

    def nack(self, ids: list[uuid.UUID], action: NackAction, reason: str) -> None:
        parks: list[tuple[Message, str]] = []
        forget: list[int] = []
        for event_id in ids:
            message = self._in_flight.take(event_id)
            if message is None:
                continue
            if action in (NackAction.RETRY, NackAction.UNKNOWN):
                self._retry_or_park(message, parks)
            elif action is NackAction.PARK:
                parks.append((message, "Client explicitly NAK'ed message.\n" + reason))
            else:
                # Skip, and Stop (which the real server treats as a skip too).
                self._finish(message, forget)
        self._park(parks)
        self._store.forget_parked(forget)
        self._checkpoint(time.monotonic(), time_check=False)
        self._wake.set()

    def replay_parked(self, limit: int | None) -> None:
        for row_id, position in self._store.take_parked(self.definition.key, limit):
            record = self._reader.source.read_at(position)
            if record is None:
                self._store.forget_parked([row_id])
                continue
            event, link = self._reader.resolve(record)
            self._retry.append(Message(event, link, None, parked_row=row_id))
        self._start()
        self._wake.set()

    # -- life cycle ----------------------------------------------------------------------

    def _start(self) -> None:
        if not self._tasks and not self._closed:
            self._tasks = [
                asyncio.create_task(self._run()),
                asyncio.create_task(self._watch_appends()),
            ]

    def _sleep(self) -> None:
        """With no consumer left, stop reading and waking on appends; keep what is
        buffered for the next consumer, and write the checkpoint reached so far."""
        for task in self._tasks:
            task.cancel()
        self._tasks = []
        position = self._tracker.flush(time.monotonic())
        if position is not None:
            self._store.save_checkpoint(self.definition.key, position)

    async def close(self, drop: Dropped) -> None:
        """Stop, write the checkpoint reached so far, and end every consumer's stream."""
        self._closed = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        position = self._tracker.flush(time.monotonic())
        if position is not None:
            self._store.save_checkpoint(self.definition.key, position)
        for consumer in self.consumers:
            consumer.outbox.put_nowait(drop)
        self.consumers = []

    def stats(self) -> GroupStats:
        return GroupStats(
            live=self._reader.caught_up and not self._fresh,
            total_items=self.total_items,
            last_checkpoint=self._tracker.written,
            last_known=self._reader.last_known,
            read_buffer_count=len(self._fresh),
            retry_buffer_count=len(self._retry),
            in_flight=len(self._in_flight),
        )

    async def _watch_appends(self) -> None:
        seen = self._storage.head_position()
        while True:
            await self._storage.wait_for_append(seen)
            seen = self._storage.head_position()
            self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                now = time.monotonic()
                self._expire(now)
                self._fill()
                self._dispatch(now)
                self._checkpoint(now, time_check=True)
                delay = self._next_wake(now)
            except Exception:
                log.exception("persistent subscription turn failed", group=self._name)
                delay = _TICK_SECONDS
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()

    @property
    def _name(self) -> str:
        return self.definition.key.subscription_id

    # -- the turn: expire, read, hand out, checkpoint ----------------------------------

    def _expire(self, now: float) -> None:
        parks: list[tuple[Message, str]] = []
        for message in self._in_flight.expired(now):
            self._retry_or_park(message, parks)
        self._park(parks)

    def _fill(self) -> None:
        room = self.definition.settings.history_buffer_size - len(self._fresh)
        if self.consumers and room > 0 and self._reader.fill(self._fresh, room, self._tracker):
            self._wake.set()

    def _dispatch(self, now: float) -> None:
        def send(message: Message, consumer: Consumer) -> None:
            if message.ack_id in self._in_flight:
                # The same event id is already in flight (the real server skips duplicates).
                self._finish(message, [])
                return
            self._in_flight.add(message, consumer, now)
            self.total_items += 1
            consumer.outbox.put_nowait(encode(message, consumer.structured_ids))

        consumers, strategy = self.consumers, self._strategy
        if consumers and hand_out(self._retry, consumers, strategy, send):
            hand_out(self._fresh, consumers, strategy, send)

    def _checkpoint(self, now: float, time_check: bool) -> None:
        position = self._tracker.due(self._policy, now, time_check)
        if position is not None:
            self._store.save_checkpoint(self.definition.key, position)

    def _next_wake(self, now: float) -> float | None:
        room = len(self._fresh) < self.definition.settings.history_buffer_size
        if self.consumers and room and not self._reader.caught_up:
            return 0.0  # consumers took what was read: read on after others had a turn
        delays: list[float] = []
        deadline = self._in_flight.next_deadline()
        if deadline is not None:
            delays.append(deadline - now)
        if self._tracker.has_progress():
            after = self._policy.after_seconds
            delays.append(min(_TICK_SECONDS, after) if after else _TICK_SECONDS)
        return max(0.0, min(delays)) if delays else None

    # -- message outcomes ----------------------------------------------------------------

    def _finish(self, message: Message, forget: list[int]) -> None:
        if message.seq is not None:
            self._tracker.finish(message.seq)
        if message.parked_row is not None:
            forget.append(message.parked_row)
            message.parked_row = None

    def _retry_or_park(self, message: Message, parks: list[tuple[Message, str]]) -> None:
        limit = self.definition.settings.max_retry_count
        if message.retry_count >= limit:
            parks.append((message, f"Reached retry count of {limit}"))
        else:
            message.retry_count += 1
            self._retry.append(message)

    def _park(self, parks: list[tuple[Message, str]]) -> None:
        if not parks:
            return
        self._store.park(
            self.definition.key, [(m.parked_row, m.position, reason) for m, reason in parks]
        )
        for message, reason in parks:
            log.info(
                "parked message",
                group=self._name,
                stream=message.event.stream_name,
                revision=message.event.stream_revision,
                reason=reason,
            )
            message.parked_row = None
            if message.seq is not None:
                self._tracker.finish(message.seq)
