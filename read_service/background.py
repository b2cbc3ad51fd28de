"""The read service's background tasks (health pings, change-stream followers) end one way.

Shutdown must not hang on one of them. A task can swallow its cancellation: a driver's cleanup
path that awaits (closing a cursor, a connection) may end in an error of its own, which the
task's retry loop then absorbs as an outage and goes round again. So the task is cancelled
again until it ends, and one still running after a bound is left behind with a warning.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Final

import structlog

_log = structlog.get_logger(__name__)

STOP_WITHIN_SECONDS: Final = 5.0
_RECANCEL_SECONDS: Final = 0.25


async def cancel_and_wait(
    task: asyncio.Task[Any] | None, within: float = STOP_WITHIN_SECONDS
) -> None:
    """Cancel a background task, if any, and return once it has finished (or `within` passed)."""
    if task is None:
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not task.done():
        remaining = deadline - loop.time()
        if remaining <= 0:
            _log.warning("background task did not stop", task=task.get_name())
            return
        task.cancel()
        await asyncio.wait({task}, timeout=min(_RECANCEL_SECONDS, remaining))
    if not task.cancelled():
        with contextlib.suppress(Exception):
            # Retrieved so asyncio does not report it again; the task logged its own failures.
            task.result()
