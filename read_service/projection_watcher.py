"""One watcher per process that wakes every request waiting for the projection to move.

Waiting requests never poll MongoDB on their own: they re-check their document only when the
watcher says the projector has written something. The watcher follows a MongoDB change stream
on the projector's progress collections; where change streams are unavailable it falls back to
a single poll loop. Either runs only while someone waits (plus a short linger, so a burst of
reads does not reopen the stream each time).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, Final

import structlog
from pymongo.errors import OperationFailure, PyMongoError

from orders_contracts import read_models as rm
from read_service.background import cancel_and_wait
from read_service.read_store import ReadStore

_log = structlog.get_logger(__name__)

Check = Callable[[], Awaitable[bool]]

# The projector updates the status collection of the active version right after every batch
# commits, and the pointer document when a rebuild switches versions: both mean "re-check now".
_PROGRESS_COLLECTIONS: Final = {
    "ns.coll": {"$regex": f"^({rm.PROJECTION_STATUS}_v[0-9]+|{rm.READ_MODEL_VERSIONS})$"}
}


class ProjectionWatcher:
    def __init__(
        self,
        store: ReadStore,
        *,
        use_change_stream: bool,
        poll_seconds: float,
        recheck_seconds: float,
        linger_seconds: float = 2.0,
    ) -> None:
        self._store = store
        self._use_change_stream = use_change_stream
        self._poll_seconds = poll_seconds
        self._recheck_seconds = recheck_seconds
        self._linger_seconds = linger_seconds
        self._moved = asyncio.Event()
        self._waiters = 0
        self._last_wait_ended = 0.0
        self._task: asyncio.Task[None] | None = None

    @property
    def mode(self) -> str:
        return "change_stream" if self._use_change_stream else "poll"

    async def wait_until(self, reached: Check, within_seconds: float) -> bool:
        """Wait up to `within_seconds` until `reached()` is true; say whether it became true."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within_seconds
        self._waiters += 1
        self._ensure_running()
        try:
            while True:
                # Taken before the check, so a change between check and wait is not lost.
                moved = self._moved
                if await reached():
                    return True
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(moved.wait(), min(remaining, self._recheck_seconds))
        finally:
            self._waiters -= 1
            self._last_wait_ended = loop.time()

    async def close(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    def _notify(self) -> None:
        self._moved.set()
        self._moved = asyncio.Event()

    def _ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    def _idle(self) -> bool:
        if self._waiters > 0:
            return False
        return asyncio.get_running_loop().time() - self._last_wait_ended > self._linger_seconds

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
                # The waiters' own reads report the outage; keep trying quietly until they stop.
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
