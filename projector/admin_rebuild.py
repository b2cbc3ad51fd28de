"""A rebuild started by an operator's call: one at a time, followed by any number of streams.

The rebuild is a task of the replica, not of the call: a caller that goes away (a closed
terminal, a deadline) leaves it running to the switch, and the log says how it ended.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import structlog

from projector.admin_errors import RebuildInProgressError
from projector.failures import describe
from projector.rebuild import RebuildProgress
from projector.versions import Database, read_pointer

log = structlog.get_logger("projector.rebuild")

StartRebuild = Callable[[Callable[[RebuildProgress], None]], Coroutine[Any, Any, int]]


class RebuildJobs:
    def __init__(self, db: Database, start: StartRebuild) -> None:
        self._db = db
        self._start = start
        self._task: asyncio.Task[int] | None = None
        self._followers: list[asyncio.Queue[RebuildProgress]] = []

    async def start(self, *, force: bool) -> AsyncIterator[RebuildProgress]:
        """Start a rebuild and follow its progress to the end; its failure is raised."""
        self._refuse_if_running()
        pointer = await read_pointer(self._db)
        # Asked again: a second call may have started a rebuild while this one read the pointer.
        self._refuse_if_running()
        building = None if pointer is None else pointer.get("building_version")
        if building is not None and not force:
            raise RebuildInProgressError(building)
        queue: asyncio.Queue[RebuildProgress] = asyncio.Queue()
        self._followers = [queue]
        self._task = asyncio.create_task(self._start(self._tell))
        self._task.add_done_callback(_log_end)
        return _follow(queue, self._task)

    def _refuse_if_running(self) -> None:
        if self._task is not None and not self._task.done():
            raise RebuildInProgressError(None)

    def _tell(self, progress: RebuildProgress) -> None:
        for queue in self._followers:
            queue.put_nowait(progress)

    async def close(self) -> None:
        """Wait for a rebuild in progress: stopping mid-way would leave a version half built."""
        if self._task is not None:
            await asyncio.wait({self._task})


def _log_end(task: asyncio.Task[int]) -> None:
    if task.cancelled():
        log.warning("rebuild cancelled")
    elif (error := task.exception()) is not None:
        log.error("rebuild failed", error=describe(error))


async def _follow(
    queue: asyncio.Queue[RebuildProgress], task: asyncio.Task[int]
) -> AsyncIterator[RebuildProgress]:
    while True:
        get = asyncio.ensure_future(queue.get())
        await asyncio.wait({get, task}, return_when=asyncio.FIRST_COMPLETED)
        if get.done():
            yield get.result()
            continue
        get.cancel()
        while not queue.empty():
            yield queue.get_nowait()
        task.result()
        return
