"""The one backoff of every process, and retrying through store outages with it.

Every wait is "full jitter" (tenacity's ``wait_random_exponential``): the wait before the
n-th retry is drawn uniformly between 0 and ``min(maximum, initial * 2 ** (n - 1))``. Whoever
failed at the same moment (two write services on one stream, two projector replicas on one
document, every read replica when MongoDB fails over) then retries at scattered moments rather
than in step, and the ceiling still grows while the failure lasts.

Loops that decide for themselves whether to retry (a conflict decides again, a replan reads
again, a change stream reopens) count their retries and ask ``Backoff.delay``; a failure that
is only waited out uses ``retry_while_down``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    wait_random_exponential,
)

OnRetry = Callable[[BaseException, float], Awaitable[None]]
"""Hears of each failure and the seconds until the next try."""


@dataclass(frozen=True)
class Backoff:
    initial: float = 0.1
    maximum: float = 5.0

    def wait(self) -> wait_random_exponential:
        return wait_random_exponential(multiplier=self.initial, max=self.maximum)

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the first after a success)."""
        state = RetryCallState(AsyncRetrying(), None, (), {})
        state.attempt_number = max(1, retry)
        return self.wait()(state)


def retry_while_down(
    *,
    is_down: Callable[[BaseException], bool],
    on_retry: OnRetry,
    stopping: asyncio.Event,
    backoff: Backoff | None = None,
    give_up_after: float | None = None,
) -> AsyncRetrying:
    """``async for attempt in retry_while_down(...): with attempt: ...``

    Only failures ``is_down`` calls the stores' are retried; any other error ends the retrying
    at once. Waiting ends early when ``stopping`` is set, and retrying ends when it is, or once
    ``give_up_after`` seconds have passed: the last error is then raised to the caller, which
    decides what that means.
    """

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
        wait=(backoff or Backoff()).wait(),
        stop=stop,
        sleep=pause,
        before_sleep=before_sleep,
        reraise=True,
    )
