"""What this projector replica is doing, for its health service and the status documents.

``running`` while it consumes normally; ``retrying`` while a store fails (the reason says which
and how), during which nothing is skipped or acknowledged; ``stalled`` when events wait and none
arrive (it reconnects its subscription and stays stalled until events move again);
``starting`` until the first subscription is confirmed. Only ``running`` is SERVING.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from orders_contracts.read_models import ProjectorState

log = structlog.get_logger("projector")


@dataclass(frozen=True, slots=True)
class StateReport:
    state: ProjectorState
    reason: str | None
    since: datetime


Listener = Callable[[StateReport], Awaitable[None]]


def replica_id(pid: int | None = None) -> str:
    """Host and process id (this process's by default), usable as a MongoDB field name (no
    dots, no dollar signs)."""
    return re.sub(r"[.$]", "_", f"{socket.gethostname()}-{os.getpid() if pid is None else pid}")


class StateBoard:
    def __init__(self, replica: str | None = None) -> None:
        self.replica = replica or replica_id()
        self._report = StateReport("starting", None, datetime.now(UTC))
        self._listeners: list[Listener] = []

    @property
    def report(self) -> StateReport:
        return self._report

    @property
    def state(self) -> ProjectorState:
        return self._report.state

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    async def set(self, state: ProjectorState, reason: str | None = None) -> None:
        """Change the state; listeners hear of changes only (a new reason is a change)."""
        if (state, reason) == (self._report.state, self._report.reason):
            return
        previous = self._report.state
        self._report = StateReport(state, reason, datetime.now(UTC))
        if state != previous:
            log.info("projector state", state=state, previous=previous, reason=reason)
        for listener in self._listeners:
            await listener(self._report)
