"""Telling a stalled subscription from a quiet one.

A subscription is stalled when events of our streams wait — the head of $all for our streams
is beyond the greatest position the projection has applied — and this replica has handled no
event for ``stall_seconds``. Quiet (nothing waits) is never a stall. While a store is being
retried the clock stands still: that state has its own reason.

With several replicas the applied position is the greatest any of them recorded, so a replica
that receives nothing because the others handle the new events is not taken for stalled; the
price is that a replica whose own events hang while others move past them is not seen here.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from kurrentdbclient import AsyncKurrentDBClient

from projector.event_source import head_of_our_streams
from projector.failures import describe
from projector.progress import shared_position
from projector.projector_state import StateBoard
from projector.versions import Database, active_version

log = structlog.get_logger("projector")

# A read that hangs on a connection gone silent counts as unanswered after this long.
READ_TIMEOUT = 10.0


@dataclass
class StallJudge:
    stall_seconds: float
    _handled: int = -1
    _quiet_since: float | None = None

    def restart(self, now: float) -> None:
        """Count from now (a store outage, a new subscription)."""
        self._quiet_since = now

    def observe(self, now: float, *, handled: int, applied: int, head: int | None) -> str | None:
        """The reason the subscription is stalled, or None.

        ``handled``: events this replica has handled so far; ``applied``: the greatest position
        the projection reached; ``head``: the last position of our streams, None if unreadable.
        """
        caught_up = head is not None and head <= applied
        if self._quiet_since is None or handled != self._handled or caught_up:
            self._handled = handled
            self._quiet_since = now
            return None
        quiet = now - self._quiet_since
        if quiet < self.stall_seconds:
            return None
        if head is None:
            return f"no event arrived for {quiet:.0f} s and the head of $all cannot be read"
        return (
            f"events wait up to position {head}, the projection is at {applied},"
            f" and no event arrived for {quiet:.0f} s"
        )


class StallWatch:
    """Watches one subscription; ``until_stalled`` returns once it is stalled, after saying so.

    ``handled`` tells how many events this replica handled so far, and the greatest position
    among them. The head of $all is read through ``eventstore``, best a client of its own: a
    connection that went silent would silence the watch too.
    """

    def __init__(
        self,
        eventstore: AsyncKurrentDBClient,
        db: Database,
        board: StateBoard,
        stall_seconds: float,
        handled: Callable[[], tuple[int, int]],
    ) -> None:
        self._eventstore = eventstore
        self._db = db
        self._board = board
        self._stall_seconds = stall_seconds
        self._handled = handled

    async def until_stalled(self) -> None:
        judge = StallJudge(self._stall_seconds)
        interval = min(5.0, self._stall_seconds / 4)
        while True:
            await asyncio.sleep(interval)
            now = time.monotonic()
            if self._board.state == "retrying":
                judge.restart(now)
                continue
            count, position = self._handled()
            head, applied = await self._positions(position)
            reason = judge.observe(now, handled=count, applied=applied, head=head)
            if reason is not None:
                log.warning("subscription stalled, reconnecting", reason=reason)
                await self._board.set("stalled", reason)
                return
            if head is not None and head <= applied and self._board.state == "stalled":
                await self._board.set("running")

    async def _positions(self, handled_position: int) -> tuple[int | None, int]:
        """The head of our streams (None if unreadable) and the greatest applied position."""
        head: int | None = None
        applied = handled_position
        try:
            async with asyncio.timeout(min(READ_TIMEOUT, self._stall_seconds)):
                head = await head_of_our_streams(self._eventstore)
        except Exception as error:
            log.info("head of $all not read", error=describe(error))
            with contextlib.suppress(Exception):
                async with asyncio.timeout(READ_TIMEOUT):
                    await self._eventstore.reconnect()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(READ_TIMEOUT):
                version = await active_version(self._db)
                applied = max(applied, await shared_position(self._db, version))
        return head, applied
