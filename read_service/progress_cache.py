"""The projector's progress per read model: one copy shared by all queries, re-read when old.

ReadMetadata's progress fields (projected_commit_position, projected_at) describe progress, not
a checkpoint, so an answer may carry a status that is up to `max_age_seconds` old (plus the one
round trip that read it): the age is counted from when that read was sent, so the bound holds
even when the read was slow. The change feed also has the copy forgotten whenever the projector
records progress, so while it follows, an answer after a write carries that write's progress.
Reading the status document for every query cost a second MongoDB round trip, about a fifth of
the read service's CPU per query. Concurrent queries that find the copy too old share one read
instead of each sending their own. Read-your-writes never looks here: it compares the token
stream's own document revision. After a switch to a rebuilt version the next read of the copy
follows the store to the new version's status.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from read_service.read_store import Progress, ReadStore

_NOTHING_PROJECTED = Progress(commit_position=0, updated_at=None)


@dataclass(frozen=True, slots=True)
class _Snapshot:
    read_at: float
    progress: dict[str, Progress]


class ProgressCache:
    def __init__(self, store: ReadStore, *, max_age_seconds: float) -> None:
        self._store = store
        self._max_age = max_age_seconds
        self._snapshot: _Snapshot | None = None
        self._reading: asyncio.Task[_Snapshot] | None = None
        self._generation = 0

    def forget(self) -> None:
        """The status changed: the next query reads it again, and a read already under way
        (which may have missed the change) is neither waited for nor kept."""
        self._generation += 1
        self._snapshot = None
        self._reading = None

    def current(self, base: str) -> Progress | None:
        """The model's progress if the copy is young enough to answer without a round trip."""
        snapshot = self._snapshot
        if snapshot is None or not self._young(snapshot):
            return None
        return snapshot.progress.get(base, _NOTHING_PROJECTED)

    async def progress(self, base: str) -> Progress:
        found = self.current(base)
        if found is not None:
            return found
        if self._reading is None or self._reading.done():
            self._reading = asyncio.get_running_loop().create_task(self._read())
            self._reading.add_done_callback(_consume_error)
        # Shielded: one caller's cancelled call must not cancel the read the others wait for.
        snapshot = await asyncio.shield(self._reading)
        return snapshot.progress.get(base, _NOTHING_PROJECTED)

    def _young(self, snapshot: _Snapshot) -> bool:
        return asyncio.get_running_loop().time() - snapshot.read_at < self._max_age

    async def _read(self) -> _Snapshot:
        read_at = asyncio.get_running_loop().time()
        generation = self._generation
        snapshot = _Snapshot(read_at=read_at, progress=await self._store.all_progress())
        if generation == self._generation:
            self._snapshot = snapshot
        return snapshot


def _consume_error(task: asyncio.Task[_Snapshot]) -> None:
    # The callers that awaited the read got its error; this only keeps asyncio from logging it
    # again when every one of them was cancelled first.
    if not task.cancelled():
        task.exception()
