"""Every live query of the process, fed by its one change feed (``change_feed``).

A watch subscribes here before it reads anything, so no write falls between its first read and
its first change. The feed hands each order summary it hears to the hub, which decodes it once
and offers it to the watches of that order and of that order's customer: a thousand watches
cost one change stream and one decoding per change, and a change costs each watch one append.

Each watch has a bounded queue. A watch whose queue is full (its client reads too slowly) drops
its backlog and is flagged for a resync: it reads the current state when it gets to it, so a
slow client never costs more than its queue. The same flag is raised on every watch when the
feed stops following (writes may go unheard), again when it follows once more, and every poll
interval while it does not follow.

The hub keeps the last changes it heard in a bounded history, so a stream that resumes from a
token can be sent the very changes it missed; the history is cleared whenever the feed stops
following, because from then on it may have gaps.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any, Final, Protocol

import structlog
from msgspec import ValidationError

from orders_contracts import read_models as rm
from read_service.background import cancel_and_wait

_log = structlog.get_logger(__name__)

_WITH_DOCUMENT: Final = frozenset({"insert", "replace"})


class ServiceStoppingError(Exception):
    """The read service is stopping: its watch streams end (UNAVAILABLE)."""

    def __init__(self) -> None:
        super().__init__("the read service is stopping; watch again with the last token")


class Feed(Protocol):
    @property
    def following(self) -> bool: ...


class Subscription:
    """One watch's place in the hub: the changes it has yet to send, or that it must resync."""

    def __init__(self, order_id: str | None, customer_id: str | None, limit: int) -> None:
        self.order_id = order_id
        self.customer_id = customer_id
        self._limit = limit
        self._pending: deque[rm.OrderSummaryDoc] = deque()
        self._ready = asyncio.Event()
        self._resync = False
        self._ended: Exception | None = None
        self.overflows = 0

    @property
    def queued(self) -> int:
        return len(self._pending)

    def offer(self, summary: rm.OrderSummaryDoc) -> None:
        if self._resync:
            return
        if len(self._pending) >= self._limit:
            self.overflows += 1
            self.flag_resync()
            return
        self._pending.append(summary)
        self._ready.set()

    def flag_resync(self) -> None:
        self._pending.clear()
        self._resync = True
        self._ready.set()

    def end(self, error: Exception) -> None:
        self._ended = error
        self._ready.set()

    async def next(self) -> rm.OrderSummaryDoc | None:
        """The next change to send, or None when the watch must read its state again."""
        while True:
            if self._ended is not None:
                raise self._ended
            if self._resync:
                # Cleared before the read, so a write during the read comes as a change.
                self._resync = False
                self._pending.clear()
                return None
            if self._pending:
                return self._pending.popleft()
            self._ready.clear()
            await self._ready.wait()


class WatchHub:
    def __init__(
        self,
        feed: Feed,
        *,
        queue_limit: int,
        history_size: int,
        poll_seconds: float,
    ) -> None:
        self._feed = feed
        self._queue_limit = queue_limit
        self._poll_seconds = poll_seconds
        self._by_order: dict[str, set[Subscription]] = {}
        self._by_customer: dict[str, set[Subscription]] = {}
        self._history: deque[rm.OrderSummaryDoc] = deque(maxlen=history_size)
        self._was_following = False
        self._stopping = False
        self._poll: asyncio.Task[None] | None = None
        self._count = 0
        self._overflows = 0

    @property
    def watching(self) -> int:
        return self._count

    @property
    def overflows(self) -> int:
        """How often a stream's queue was full, so that it dropped its backlog for a resync."""
        return self._overflows + sum(s.overflows for s in self._all())

    @property
    def pending(self) -> int:
        """The changes queued for all streams together (at most the limit per stream)."""
        return sum(s.queued for s in self._all())

    def subscribe(
        self, *, order_id: str | None = None, customer_id: str | None = None
    ) -> Subscription:
        if self._stopping:
            raise ServiceStoppingError
        subscription = Subscription(order_id, customer_id, self._queue_limit)
        if order_id is not None:
            self._by_order.setdefault(order_id, set()).add(subscription)
        if customer_id is not None:
            self._by_customer.setdefault(customer_id, set()).add(subscription)
        self._count += 1
        if not self._feed.following:
            self._ensure_polling()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        for index, key in (
            (self._by_order, subscription.order_id),
            (self._by_customer, subscription.customer_id),
        ):
            if key is None:
                continue
            found = index.get(key)
            if found is not None and subscription in found:
                found.discard(subscription)
                if not found:
                    del index[key]
        self._count -= 1
        self._overflows += subscription.overflows

    def changes_after(self, order_id: str, revision: int) -> list[rm.OrderSummaryDoc] | None:
        """The changes of the order heard after the one that brought it to ``revision``, or None
        if the history does not reach back to that change."""
        heard = [summary for summary in self._history if summary.order_id == order_id]
        for position, summary in enumerate(heard):
            if summary.revision == revision:
                return heard[position + 1 :]
        return None

    def order_changed(self, change: Mapping[str, Any]) -> None:
        """A change event of the active order summaries, as the feed read it."""
        document = change.get("fullDocument")
        if change.get("operationType") not in _WITH_DOCUMENT or document is None:
            # Not written by the projector's fold (a repair, a delete): what it did is unknown,
            # so the order's watches read it again. Its customer is unknown too.
            self._resync(self._subscriptions_of_order(change))
            return
        try:
            summary = rm.from_document(document, rm.OrderSummaryDoc)
        except ValidationError as error:
            _log.warning("unreadable order summary in a change", error=str(error))
            self._resync(self._subscriptions_of_order(change))
            return
        self._history.append(summary)
        for subscription in self._by_order.get(summary.order_id, ()):
            subscription.offer(summary)
        for subscription in self._by_customer.get(summary.customer_id, ()):
            subscription.offer(summary)

    def feed_moved(self) -> None:
        """The feed's listener: it opened, was lost, or the projector recorded progress."""
        following = self._feed.following
        if following == self._was_following:
            return
        self._was_following = following
        # Lost: writes from now on may go unheard. Opened: those that went unheard are read.
        self._history.clear()
        self._resync(self._all())
        if not following:
            self._ensure_polling()

    async def close(self) -> None:
        """End every watch with ServiceStoppingError and refuse new ones."""
        self._stopping = True
        for subscription in list(self._all()):
            subscription.end(ServiceStoppingError())
        await cancel_and_wait(self._poll)
        self._poll = None

    def _subscriptions_of_order(self, change: Mapping[str, Any]) -> list[Subscription]:
        key = change.get("documentKey")
        order_id = key.get("_id") if isinstance(key, Mapping) else None
        if not isinstance(order_id, str):
            return list(self._all())
        return [*self._by_order.get(order_id, ()), *self._all_customer_watches()]

    def _all_customer_watches(self) -> Iterable[Subscription]:
        for subscriptions in self._by_customer.values():
            yield from subscriptions

    def _all(self) -> Iterable[Subscription]:
        seen: set[Subscription] = set()
        for index in (self._by_order, self._by_customer):
            for subscriptions in index.values():
                seen.update(subscriptions)
        return seen

    @staticmethod
    def _resync(subscriptions: Iterable[Subscription]) -> None:
        for subscription in subscriptions:
            subscription.flag_resync()

    def _ensure_polling(self) -> None:
        if self._stopping or (self._poll is not None and not self._poll.done()):
            return
        with contextlib.suppress(RuntimeError):  # no running loop: nothing watches yet
            self._poll = asyncio.get_running_loop().create_task(self._polling(), name="watch poll")

    async def _polling(self) -> None:
        """While the feed does not follow, every watch reads its state every poll interval."""
        while self._count and not self._feed.following and not self._stopping:
            await asyncio.sleep(self._poll_seconds)
            if not self._feed.following:
                self._resync(self._all())
