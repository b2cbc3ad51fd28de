"""Retrying through store outages: exponential backoff with jitter, for as long as they last.

Only failures a predicate calls the stores' are retried (see ``failures``); any other error
ends the retrying at once. Waiting ends early when ``stopping`` is set, and retrying ends when
it is, or once ``give_up_after`` seconds have passed: the last error is then raised to the
caller, which decides what that means.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, wait_exponential_jitter

OnRetry = Callable[[BaseException, float], Awaitable[None]]
"""Hears of each failure and the seconds until the next try."""


@dataclass(frozen=True)
class Backoff:
    initial: float = 0.1
    maximum: float = 5.0


def retry_while_down(
    *,
    is_down: Callable[[BaseException], bool],
    on_retry: OnRetry,
    stopping: asyncio.Event,
    backoff: Backoff | None = None,
    give_up_after: float | None = None,
) -> AsyncRetrying:
    """``async for attempt in retry_while_down(...): with attempt: ...``"""
    policy = backoff or Backoff()

    async def pause(seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), seconds)

    async def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        delay = state.next_action.sleep if state.next_action is not None else 0.0
        if error is not None:
            await on_retry(error, delay)

    def stop(state: RetryCallState) -> bool:
        elapsed = state.seconds_since_start or 0.0
        late = give_up_after is not None and elapsed >= give_up_after
        return late or stopping.is_set()

    return AsyncRetrying(
        retry=retry_if_exception(is_down),
        wait=wait_exponential_jitter(
            multiplier=policy.initial, max=policy.maximum, jitter=policy.initial
        ),
        stop=stop,
        sleep=pause,
        before_sleep=before_sleep,
        reraise=True,
    )
