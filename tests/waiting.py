"""Waiting on a condition, the one way the tests synchronise with servers and tasks.

A test never sleeps for a fixed time hoping something happened: it polls the condition. The
patience is a hang guard that names what never came, not a speed requirement: CI is a loaded
2-core machine, so it is the same generous bound everywhere, and no test asserts how long
anything took.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

PATIENCE_SECONDS = 120.0
POLL_SECONDS = 0.05


async def read_until(
    read: Callable[[], Awaitable[T]],
    shows: Callable[[T], bool],
    what: str,
    *,
    patience: float = PATIENCE_SECONDS,
) -> T:
    """Read until the answer shows what is expected, and give that answer."""
    deadline = time.monotonic() + patience
    while True:
        answer = await read()
        if shows(answer):
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"never saw {what}; the last answer: {answer!r}")
        await asyncio.sleep(POLL_SECONDS)


async def wait_until(
    check: Callable[[], Awaitable[bool]], what: str, *, patience: float = PATIENCE_SECONDS
) -> None:
    await read_until(check, bool, what, patience=patience)


def wait_until_blocking(
    check: Callable[[], bool],
    what: str | Callable[[], str],
    *,
    patience: float = PATIENCE_SECONDS,
) -> None:
    """`wait_until` for code outside an event loop (threads, subprocess probes); ``what`` may
    be worked out when it never came (to name the last thing seen)."""
    deadline = time.monotonic() + patience
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"never saw {what if isinstance(what, str) else what()}")
        time.sleep(POLL_SECONDS)
