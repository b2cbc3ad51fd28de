"""Which failures are retried, how often and how far apart; every call goes through `call`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import grpc
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from orders_client.errors import from_rpc_error

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """UNAVAILABLE (the service, or its store, unreachable) is retried: a command carries the
    same idempotency key every time, so a retry of one that did land returns its original
    response and writes nothing. Other codes are answers, not outages, and are raised at once."""

    attempts: int = 6
    first_backoff_seconds: float = 0.1
    max_backoff_seconds: float = 3.0
    retryable: frozenset[grpc.StatusCode] = frozenset({grpc.StatusCode.UNAVAILABLE})
    # Told each failure that will be retried, before the backoff (for logs or metrics).
    on_retry: Callable[[grpc.aio.AioRpcError], None] | None = None

    def retries(self, error: BaseException) -> bool:
        return isinstance(error, grpc.aio.AioRpcError) and error.code() in self.retryable


NO_RETRY = RetryPolicy(attempts=1)


async def call(attempt: Callable[[], Awaitable[T]], policy: RetryPolicy) -> T:
    """The attempt's result, retried per policy; a failure raised as its typed OrdersError."""
    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.attempts),
        wait=wait_exponential_jitter(
            multiplier=policy.first_backoff_seconds,
            max=policy.max_backoff_seconds,
            jitter=policy.first_backoff_seconds,
        ),
        retry=retry_if_exception(policy.retries),
        before_sleep=lambda state: _tell(policy, state),
        reraise=True,
    )
    try:
        async for attempt_state in retrying:
            with attempt_state:
                return await attempt()
    except grpc.aio.AioRpcError as error:
        raise from_rpc_error(error) from error
    raise AssertionError("tenacity ends with a result or the last error")  # pragma: no cover


def _tell(policy: RetryPolicy, state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome is not None else None
    if policy.on_retry is not None and isinstance(error, grpc.aio.AioRpcError):
        policy.on_retry(error)
