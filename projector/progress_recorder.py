"""The status documents, written beside the pipeline so that no batch ever waits for them.

Batches that end while a write is in flight are summed into the next one; a write that fails
(MongoDB down) keeps its counts for the next attempt, so they are late, never lost. A change of
the replica's state is written too, with whatever counts are pending.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import structlog
from kurrentdbclient import AsyncKurrentDBClient

from projector.batch_telemetry import BatchObserver
from projector.envelope import Envelope
from projector.event_source import HeadTracker, Lag
from projector.failures import describe
from projector.progress import forget_replica, record_progress
from projector.projector_state import StateBoard, StateReport
from projector.versions import Database, active_version

log = structlog.get_logger("projector")

# A write stuck on a store that stopped answering must not hold the pipeline's shutdown up.
WRITE_TIMEOUT = 10.0


class ProgressRecorder:
    def __init__(
        self,
        eventstore: AsyncKurrentDBClient,
        db: Database,
        board: StateBoard,
        *,
        interval: float,
        stopping: asyncio.Event,
        observer: BatchObserver | None = None,
    ) -> None:
        self._db = db
        self._board = board
        self._interval = interval
        self._stopping = stopping
        self._head = HeadTracker(eventstore)
        self._lag = Lag(0, 0, 0.0)
        self._counts: Counter[str] = Counter()
        self._last: Envelope | None = None
        self._state_pending = False
        self._task: asyncio.Task[None] | None = None
        self._observer = observer or BatchObserver()
        board.listen(self._state_changed)

    def add(self, counts: Counter[str], last: Envelope | None) -> None:
        self._counts += counts
        if last is not None and (
            self._last is None or last.commit_position > self._last.commit_position
        ):
            self._last = last
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())

    async def settle(self) -> None:
        """Wait (a bounded while) for the write in flight."""
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._task), WRITE_TIMEOUT)

    async def leave(self) -> None:
        """Take this replica's entry out of the status documents."""
        with contextlib.suppress(Exception):
            async with asyncio.timeout(WRITE_TIMEOUT):
                version = await active_version(self._db)
                await forget_replica(self._db, version, self._board.replica)

    async def _state_changed(self, report: StateReport) -> None:
        self._state_pending = True
        self.add(Counter(), None)

    async def _drain(self) -> None:
        while self._counts or self._last is not None or self._state_pending:
            counts, last = self._counts, self._last
            self._counts, self._last, self._state_pending = Counter(), None, False
            if not await self._write(counts, last) and not self._stopping.is_set():
                self.add(counts, last)
                self._state_pending = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._interval)

    async def _write(self, counts: Counter[str], last: Envelope | None) -> bool:
        try:
            async with asyncio.timeout(WRITE_TIMEOUT):
                position = last.commit_position if last is not None else 0
                if last is not None:
                    self._lag = await self._head.lag(position, last.recorded_at)
                    self._observer.lagged(self._lag, position)
                version = await active_version(self._db)
                replica = (self._board.replica, self._board.report)
                await record_progress(
                    self._db, version, counts, position, self._lag, datetime.now(UTC), replica
                )
        except Exception as error:
            log.warning("progress not recorded", error=describe(error))
            return False
        # Counted once recorded, as the status documents count them: a failed write's counts
        # come back with the next one.
        self._observer.counted(counts)
        skipped = {k: counts[k] for k in ("unknown_type", "newer_schema") if counts[k]}
        if skipped:
            log.warning("events skipped: not understood by this projector version", **skipped)
        log.debug("batch done", **{k: v for k, v in counts.items() if v}, **_position(last))
        return True


def _position(last: Envelope | None) -> dict[str, Any]:
    return {} if last is None else {"commit_position": last.commit_position}
