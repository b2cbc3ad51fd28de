"""One watcher per process that wakes every request waiting for the projection to move.

Waiting requests never read MongoDB on their own: they leave their document and revision with
the watcher, which checks all of them together (one query per read model) whenever the
projector has written something, and at least every recheck interval. The watcher follows a
MongoDB change stream on the projector's progress collections; where change streams are
unavailable it falls back to a single poll loop. Either runs only while someone waits (plus a
short linger, so a burst of reads does not reopen the stream each time).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Final

import structlog
from pymongo.errors import OperationFailure, PyMongoError

from orders_contracts import read_models as rm
from read_service.background import cancel_and_wait
from read_service.progress_cache import ProgressCache
from read_service.read_store import ReadStore
from read_service.revision_waiters import RevisionWaiters

_log = structlog.get_logger(__name__)

# The projector updates the status collection of the active version right after every batch
# commits, and the pointer document when a rebuild switches versions: both mean "re-check now".
_PROGRESS_COLLECTIONS: Final = {
    "ns.coll": {"$regex": f"^({rm.PROJECTION_STATUS}_v[0-9]+|{rm.READ_MODEL_VERSIONS})$"}
}


class ProjectionWatcher:
    def __init__(
        self,
        store: ReadStore,
        progress: ProgressCache,
        *,
        use_change_stream: bool,
        poll_seconds: float,
        recheck_seconds: float,
        linger_seconds: float = 2.0,
    ) -> None:
        self._store = store
        self.progress = progress
        self._use_change_stream = use_change_stream
        self._poll_seconds = poll_seconds
        self._recheck_seconds = recheck_seconds
        self._linger_seconds = linger_seconds
        self._waiters = RevisionWaiters(store)
        # Set when the waiters must be checked again: the projector wrote, or a waiter came.
        self._dirty = asyncio.Event()
        self._last_wait_ended = 0.0
        self._task: asyncio.Task[None] | None = None
        self._checking: asyncio.Task[None] | None = None

    @property
    def mode(self) -> str:
        return "change_stream" if self._use_change_stream else "poll"

    @property
    def waiting(self) -> int:
        """How many queries wait for the projection right now."""
        return len(self._waiters)

    async def wait_for_revision(
        self, model: str, identifier: str, revision: int, deadline: float
    ) -> bool:
        """Wait until the document of ``model`` reaches ``revision`` or the loop time reaches
        ``deadline``; say whether it was reached."""
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

    def _notify(self) -> None:
        self._dirty.set()

    def _ensure_running(self) -> None:
        if self._checking is None or self._checking.done():
            self._checking = asyncio.get_running_loop().create_task(
                self._check(), name="projection waiters check"
            )

    def _ensure_following(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="projection watcher"
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
            if self._waiters:
                # Only now is there anything to wait for. Opening the stream checks once more,
                # so a write between this check and the opening is not missed.
                self._ensure_following()

    async def _run(self) -> None:
        while not self._idle():
            try:
                if self._use_change_stream:
                    await self._follow_change_stream()
                else:
                    await self._poll()
            except OperationFailure as error:
                if not self._use_change_stream:
                    raise
                _log.warning("change stream unavailable, polling instead", error=str(error))
                self._use_change_stream = False
            except PyMongoError as error:
                # The waiters' check reports the outage; keep trying quietly until they stop.
                _log.debug("projection watcher lost MongoDB", error=str(error))
                await asyncio.sleep(self._poll_seconds)

    async def _follow_change_stream(self) -> None:
        pipeline = [{"$match": _PROGRESS_COLLECTIONS}]
        max_await_ms = max(1, int(self._poll_seconds * 1000 * 4))
        database = self._store.database
        async with await database.watch(pipeline, max_await_time_ms=max_await_ms) as stream:
            # Anything written before the stream opened is seen by this one re-check.
            self._notify()
            while not self._idle():
                if await stream.try_next() is not None:
                    self._notify()

    async def _poll(self) -> None:
        previous: list[dict[str, Any]] | None = None
        while not self._idle():
            await self._store.refresh()
            status = await self._store.collection(rm.PROJECTION_STATUS)
            current = await status.find({}).to_list(None)
            if current != previous:
                self._notify()
                previous = current
            await asyncio.sleep(self._poll_seconds)
