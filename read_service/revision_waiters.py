"""Queries waiting for a read-model document to reach a revision, checked and given up together.

A waiting query does not read MongoDB itself. It leaves its document, the revision it needs and
its call's deadline here, and one check reads every waited-for document of a read model in a
single query, however many queries wait: five hundred waiters cost one round trip per check, not
five hundred.

Giving up must leave the query time to answer CONSISTENCY_NOT_REACHED before the caller's own
deadline fires, and waiters that give up together answer one after the other on one event loop.
So a waiter gives up a margin before its deadline that grows with the load: a base part (a tenth
of its wait, within bounds) plus a fixed cost for each query of the largest crowd that waited
at once in the last few seconds (those that gave up already may still be answering).
One timer, set for the earliest waiter, does all the giving up.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from dataclasses import dataclass, field
from typing import Final

from pymongo.errors import PyMongoError

from read_service.cluster_time import SeenAt
from read_service.read_store import ReadStore

# Of the time a waiter has, the part kept for answering when it is alone: a tenth, in bounds.
BASE_MARGIN_SECONDS: Final = (0.05, 0.25)
# What answering costs each waiter that gives up with others, with room to spare: measured
# 0.5 ms per waiter on an idle two-core machine with the caller on the same event loop, and
# 1 to 2 ms with both cores also busy elsewhere.
MARGIN_PER_WAITER_SECONDS: Final = 0.003
# How long a crowd of waiters is remembered: longer than the longest burst of answers.
LOAD_MEMORY_SECONDS: Final = 5.0
# However many wait, a waiter waits at least half of its time.
MAX_MARGIN_SHARE: Final = 0.5


@dataclass(eq=False, slots=True)
class Waiter:
    model: str
    identifier: str
    revision: int
    # The caller's deadline (loop time) and how long the waiter had when it came.
    deadline: float
    budget: float
    # When the check that saw the document at the revision read it; None when the waiter gave up.
    outcome: asyncio.Future[SeenAt | None] = field(repr=False)

    def gives_up_at(self, waiting: int) -> float:
        low, high = BASE_MARGIN_SECONDS
        margin = min(high, max(low, self.budget / 10)) + MARGIN_PER_WAITER_SECONDS * waiting
        return self.deadline - min(margin, self.budget * MAX_MARGIN_SHARE)


class RevisionWaiters:
    def __init__(self, store: ReadStore) -> None:
        self._store = store
        # read model -> document id -> the waiters for that document
        self._waiting: dict[str, dict[str, list[Waiter]]] = {}
        self._by_deadline: list[tuple[float, int, Waiter]] = []
        self._sequence = itertools.count()
        self._count = 0
        # The most queries that waited at once lately, and when that was last true: waiters that
        # gave up are still answering one after the other, so the margin counts them for a while.
        self._load = 0
        self._load_at = 0.0
        self._timer: asyncio.TimerHandle | None = None

    def __len__(self) -> int:
        return self._count

    def add(self, model: str, identifier: str, revision: int, deadline: float) -> Waiter:
        """Wait until the document reaches ``revision``; ``deadline`` is the caller's, loop time."""
        loop = asyncio.get_running_loop()
        budget = max(0.0, deadline - loop.time())
        waiter = Waiter(model, identifier, revision, deadline, budget, loop.create_future())
        self._waiting.setdefault(model, {}).setdefault(identifier, []).append(waiter)
        heapq.heappush(self._by_deadline, (deadline, next(self._sequence), waiter))
        self._count += 1
        if self._count >= self._load:
            self._load, self._load_at = self._count, loop.time()
        # A caller that goes away (cancelled) leaves at once.
        waiter.outcome.add_done_callback(lambda _: self._remove(waiter))
        self._schedule()
        return waiter

    async def check(self) -> None:
        """Read every waited-for document once and settle the waiters whose revision it reached.

        A failed read fails the waiters of that read model with its error: each of them would
        have met the same outage on a read of its own.
        """
        for model, by_id in list(self._waiting.items()):
            try:
                revisions, seen = await self._store.revisions_seen(model, list(by_id))
            except PyMongoError as error:
                for waiters in list(by_id.values()):
                    for waiter in list(waiters):
                        self._settle(waiter, error)
                continue
            for identifier, revision in revisions.items():
                for waiter in list(by_id.get(identifier, ())):
                    if revision >= waiter.revision:
                        self._settle(waiter, seen)

    def end_all(self, error: Exception | None = None) -> None:
        """Fail every waiter with ``error``, or cancel them all without one."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for _, _, waiter in list(self._by_deadline):
            if error is None:
                waiter.outcome.cancel()
                self._remove(waiter)
            else:
                self._settle(waiter, error)

    def _give_up(self) -> None:
        self._timer = None
        now = asyncio.get_running_loop().time()
        while self._by_deadline:
            waiter = self._by_deadline[0][2]
            if waiter.outcome.done():
                heapq.heappop(self._by_deadline)
            elif waiter.gives_up_at(self._crowd()) <= now:
                self._settle(waiter, None)
            else:
                break
        self._schedule()

    def _schedule(self) -> None:
        """Set the one timer for the first waiter to give up, as the number waiting now says."""
        while self._by_deadline and self._by_deadline[0][2].outcome.done():
            heapq.heappop(self._by_deadline)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._by_deadline:
            first = self._by_deadline[0][2]
            self._timer = asyncio.get_running_loop().call_at(
                first.gives_up_at(self._crowd()), self._give_up
            )

    def _crowd(self) -> int:
        """How many queries the margin counts: the most that waited at once in the last few
        seconds, so a past burst does not shorten every later wait."""
        now = asyncio.get_running_loop().time()
        if now - self._load_at > LOAD_MEMORY_SECONDS:
            self._load, self._load_at = self._count, now
        return max(self._load, self._count)

    def _settle(self, waiter: Waiter, outcome: SeenAt | Exception | None) -> None:
        if waiter.outcome.done():
            return
        if isinstance(outcome, Exception):
            waiter.outcome.set_exception(outcome)
        else:
            waiter.outcome.set_result(outcome)
        self._remove(waiter)

    def _remove(self, waiter: Waiter) -> None:
        by_id = self._waiting.get(waiter.model, {})
        waiters = by_id.get(waiter.identifier, [])
        if waiter not in waiters:
            return
        waiters.remove(waiter)
        self._count -= 1
        if not waiters:
            del by_id[waiter.identifier]
        if not by_id:
            self._waiting.pop(waiter.model, None)
