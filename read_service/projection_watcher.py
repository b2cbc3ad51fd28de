"""One watcher per process that wakes every request waiting for the projection to move.

Waiting requests never read MongoDB on their own: they leave their document and revision with
the watcher, which checks all of them together (one query per read model) whenever the
projector may have written something, and at least every recheck interval. What tells it so is
the process's change feed (``change_feed``); while that is not following (change streams off or
unavailable, or the stream lost), a poll loop of the projector's progress takes its place, and
runs only while someone waits (plus a short linger, so a burst of reads does not restart it).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol

import structlog
from pymongo.errors import PyMongoError

from read_service.background import cancel_and_wait
from read_service.cluster_time import SeenAt
from read_service.read_store import Progress, ReadStore
from read_service.revision_waiters import RevisionWaiters

_log = structlog.get_logger(__name__)


class Feed(Protocol):
    @property
    def following(self) -> bool: ...

    @property
    def mode(self) -> str: ...


class ProjectionWatcher:
    def __init__(
        self,
        store: ReadStore,
        feed: Feed,
        *,
        poll_seconds: float,
        recheck_seconds: float,
        linger_seconds: float = 2.0,
    ) -> None:
        self._store = store
        self._feed = feed
        self._poll_seconds = poll_seconds
        self._recheck_seconds = recheck_seconds
        self._linger_seconds = linger_seconds
        self._waiters = RevisionWaiters(store)
        # Set when the waiters must be checked again: the projector wrote, or a waiter came.
        self._dirty = asyncio.Event()
        self._last_wait_ended = 0.0
        self._task: asyncio.Task[None] | None = None
        self._checking: asyncio.Task[None] | None = None
        self._polls_started = 0

    @property
    def mode(self) -> str:
        return self._feed.mode

    @property
    def polls_started(self) -> int:
        """How often waiting reads had to poll because the change feed was not following."""
        return self._polls_started

    @property
    def waiting(self) -> int:
        """How many queries wait for the projection right now."""
        return len(self._waiters)

    async def wait_for_revision(
        self, model: str, identifier: str, revision: int, deadline: float
    ) -> SeenAt | None:
        """Wait until the document of ``model`` reaches ``revision`` or the loop time reaches
        ``deadline``: when the primary was read that showed it reached, None if it was not."""
        waiter = self._waiters.add(model, identifier, revision, deadline)
        self._ensure_running()
        self._dirty.set()
        try:
            return await waiter.outcome
        finally:
            self._last_wait_ended = asyncio.get_running_loop().time()

    async def close(self) -> None:
        self._waiters.end_all()
        await cancel_and_wait(self._checking)
        await cancel_and_wait(self._task)
        self._task = self._checking = None

    def notify(self) -> None:
        """The projector may have moved: check the waiters again."""
        self._dirty.set()

    def _ensure_running(self) -> None:
        if self._checking is None or self._checking.done():
            self._checking = asyncio.get_running_loop().create_task(
                self._check(), name="projection waiters check"
            )

    def _ensure_polling(self) -> None:
        if self._task is None or self._task.done():
            self._polls_started += 1
            self._task = asyncio.get_running_loop().create_task(
                self._poll(), name="projection poll"
            )

    def _idle(self) -> bool:
        if self._waiters:
            return False
        return asyncio.get_running_loop().time() - self._last_wait_ended > self._linger_seconds

    async def _check(self) -> None:
        """Check every waiter whenever something moved, at least every recheck interval."""
        while self._waiters:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._dirty.wait(), self._recheck_seconds)
            # Cleared before the read, so a write during the read makes for one more check.
            self._dirty.clear()
            try:
                await self._waiters.check()
            except Exception as error:  # a bug: answer INTERNAL now rather than wait in vain
                _log.exception("checking the waiting queries failed")
                self._waiters.end_all(error)
            if self._waiters and not self._feed.following:
                # Only now is there anything to wait for. The first poll checks once more, so
                # a write between this check and the poll's start is not missed.
                self._ensure_polling()

    async def _poll(self) -> None:
        previous: dict[str, Progress] | None = None
        while not self._idle() and not self._feed.following:
            try:
                await self._store.refresh()
                current = await self._store.all_progress()
            except PyMongoError as error:
                # The waiters' check reports the outage; keep trying quietly until they stop.
                _log.debug("projection poll lost MongoDB", error=str(error))
            else:
                if current != previous:
                    self.notify()
                    previous = current
            await asyncio.sleep(self._poll_seconds)
