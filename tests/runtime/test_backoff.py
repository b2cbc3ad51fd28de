"""The one backoff (``orders_runtime.backoff``): full jitter under a ceiling that doubles up to
the maximum, and retrying through outages with it. The waits are random: each property is
checked over enough draws that chance alone would break it about never."""

from __future__ import annotations

import asyncio

import pytest

from orders_runtime.backoff import Backoff, retry_while_down

DRAWS = 400
BACKOFF = Backoff(initial=0.01, maximum=0.5)


def ceiling(retry: int) -> float:
    return min(BACKOFF.maximum, BACKOFF.initial * 2.0 ** (retry - 1))


def draws(retry: int) -> list[float]:
    return [BACKOFF.delay(retry) for _ in range(DRAWS)]


def test_every_wait_lies_between_zero_and_a_ceiling_that_doubles_up_to_the_maximum() -> None:
    for retry in range(1, 16):
        waits = draws(retry)
        assert min(waits) >= 0
        assert max(waits) <= ceiling(retry)


def test_the_waits_grow_with_each_retry_until_the_maximum() -> None:
    longest = [max(draws(retry)) for retry in range(1, 10)]
    for retry in range(2, 7):
        # Beyond everything the retry before could wait.
        assert longest[retry - 1] > ceiling(retry - 1)
    assert max(longest) > BACKOFF.maximum * 0.9


def test_callers_that_failed_together_retry_at_scattered_moments() -> None:
    waits = draws(6)
    assert len(set(waits)) == DRAWS
    # Full jitter: from next to nothing up to the ceiling, not bunched near it.
    assert min(waits) < ceiling(6) / 10
    assert max(waits) > ceiling(6) * 0.9


class Outage:
    """Fails with ``error`` a given number of times, then answers; sets ``stopping``, if given,
    once it has heard of a retry."""

    def __init__(
        self,
        failures: int,
        stopping: asyncio.Event | None = None,
        error: Exception | None = None,
    ) -> None:
        self.left = failures
        self.error = error or ConnectionError("store down")
        self.stopping = stopping or asyncio.Event()
        self.stop_when_heard = stopping is not None
        self.calls = 0
        self.waits: list[float] = []

    async def call(self) -> str:
        self.calls += 1
        if self.left > 0:
            self.left -= 1
            raise self.error
        return "answered"

    async def heard(self, error: BaseException, delay: float) -> None:
        assert isinstance(error, ConnectionError)
        self.waits.append(delay)
        if self.stop_when_heard:
            self.stopping.set()


async def ridden_out(outage: Outage) -> str:
    async for attempt in retry_while_down(
        is_down=lambda error: isinstance(error, ConnectionError),
        on_retry=outage.heard,
        stopping=outage.stopping,
        backoff=Backoff(initial=0.001, maximum=0.008),
    ):
        with attempt:
            return await outage.call()
    raise AssertionError("retry_while_down returns or raises")


async def test_an_outage_is_retried_until_it_ends_and_every_wait_is_heard() -> None:
    outage = Outage(failures=6)
    assert await ridden_out(outage) == "answered"
    assert outage.calls == 7
    assert len(outage.waits) == 6
    assert all(0 <= wait <= min(0.008, 0.001 * 2**n) for n, wait in enumerate(outage.waits))


async def test_each_outage_starts_its_waits_over() -> None:
    await ridden_out(Outage(failures=8))
    first_waits = []
    for _ in range(30):
        outage = Outage(failures=1)
        await ridden_out(outage)
        first_waits += outage.waits
    # Carried on from the long outage, seven in eight would exceed the first ceiling.
    assert max(first_waits) <= 0.001


async def test_a_failure_that_is_not_an_outage_ends_the_retrying_at_once() -> None:
    outage = Outage(failures=1, error=ValueError("bad event"))
    with pytest.raises(ValueError, match="bad event"):
        await ridden_out(outage)
    assert outage.calls == 1
    assert outage.waits == []


async def test_stopping_ends_the_retrying_with_the_outage_s_last_error() -> None:
    outage = Outage(failures=100, stopping=asyncio.Event())
    with pytest.raises(ConnectionError, match="store down"):
        await ridden_out(outage)
    # The try after the stop request fails too, and then nothing is tried again.
    assert outage.calls == 2
