"""One replica's consumption, started and stopped as the group's control document says.

Paused, the replica's consumer is stopped as on SIGTERM: the batch in hand is written and
acknowledged, what the client had buffered is redelivered later, and the subscription is closed,
so the group holds events for nobody and none of them times out meanwhile. Resumed, a new
consumer subscribes again and catches up from the group's checkpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, Final

import structlog

from projector.admin_control import Control, Pause
from projector.consumer import Consumer
from projector.failures import describe
from projector.projector_state import StateBoard

log = structlog.get_logger("projector")

POLL: Final = 0.5
# How often a replica whose pause state did not change still says it is alive.
HEARTBEAT: Final = 3.0


class Consumption:
    def __init__(
        self,
        make_consumer: Callable[[], Consumer],
        control: Control,
        board: StateBoard,
        *,
        poll: float = POLL,
    ) -> None:
        self._make_consumer = make_consumer
        self._control = control
        self._board = board
        self._poll = poll
        self._stopping = asyncio.Event()
        self._pause = Pause()
        self._paused = False
        self._reported: tuple[bool, float] | None = None
        self._ended = False

    @property
    def paused(self) -> bool:
        """This replica has stopped taking events because the group is paused."""
        return self._paused

    @property
    def ended(self) -> bool:
        """run() returned after stop(): its consumer's last batch is committed or given up."""
        return self._ended

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Consume whenever the group is not paused, until stop()."""
        try:
            while not self._stopping.is_set():
                await self._follow()
                if self._pause.paused:
                    await self._wait()
                    continue
                await self._consume_until_paused()
        finally:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(5):
                    await self._control.forget(self._board.replica)
        self._ended = True

    async def _consume_until_paused(self) -> None:
        consumer = self._make_consumer()
        task = asyncio.create_task(consumer.run())
        try:
            while not task.done() and not self._stopping.is_set():
                await self._wait(task)
                await self._follow()
                if self._pause.paused:
                    log.info("projection paused", reason=self._pause.reason)
                    break
        finally:
            consumer.stop()
            await task
        if self._pause.paused and not self._stopping.is_set():
            self._paused = True
            await self._report()

    async def _follow(self) -> None:
        """Read the control document; while MongoDB does not answer, keep the last one."""
        try:
            pause = await self._control.read()
        except Exception as error:
            log.debug("control document not read", error=describe(error))
            return
        if self._paused and not pause.paused:
            log.info("projection resumed")
            self._paused = False
        self._pause = pause
        await self._report()

    async def _report(self) -> None:
        now = asyncio.get_running_loop().time()
        if self._reported is not None:
            paused, at = self._reported
            if paused == self._paused and now - at < HEARTBEAT:
                return
        try:
            await self._control.report(self._board.replica, self._paused)
        except Exception as error:
            log.debug("pause state not reported", error=describe(error))
            return
        self._reported = (self._paused, now)

    async def _wait(self, task: asyncio.Task[None] | None = None) -> None:
        """A poll interval, cut short by stop() or by the consumer ending."""
        stop = asyncio.create_task(self._stopping.wait())
        waits: set[asyncio.Task[Any]] = {stop} if task is None else {stop, task}
        await asyncio.wait(waits, timeout=self._poll, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
