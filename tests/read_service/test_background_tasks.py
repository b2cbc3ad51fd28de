"""Stopping the read service's background tasks never hangs, even on a task that resists."""

from __future__ import annotations

import asyncio

from read_service.background import cancel_and_wait


class Stubborn:
    """Goes round again after a cancellation, `times` times, as a retry loop around a driver
    call whose cleanup turned the cancellation into an error of its own would."""

    def __init__(self, times: int) -> None:
        self.times = times
        self.ended = asyncio.Event()

    async def run(self) -> None:
        swallowed = 0
        try:
            while True:
                try:
                    await asyncio.sleep(3600)
                except asyncio.CancelledError:
                    if swallowed >= self.times:
                        raise
                    swallowed += 1
        finally:
            self.ended.set()


async def test_a_task_that_swallows_its_first_cancellations_is_still_stopped() -> None:
    stubborn = Stubborn(times=2)
    task = asyncio.create_task(stubborn.run())
    await asyncio.sleep(0)

    await asyncio.wait_for(cancel_and_wait(task, within=5), timeout=10)

    assert stubborn.ended.is_set()
    assert task.cancelled()


async def test_a_task_that_never_stops_is_left_behind_after_the_bound() -> None:
    stubborn = Stubborn(times=10**9)
    task = asyncio.create_task(stubborn.run())
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    started = loop.time()

    await asyncio.wait_for(cancel_and_wait(task, within=0.5), timeout=10)
    waited = loop.time() - started

    assert not task.done()
    assert waited >= 0.5
    stubborn.times = 0
    task.cancel()
    await asyncio.wait({task})


async def test_a_task_that_already_failed_is_reaped_quietly() -> None:
    async def fails() -> None:
        raise RuntimeError("lost MongoDB")

    task = asyncio.create_task(fails())
    await asyncio.sleep(0)

    await cancel_and_wait(task)

    assert task.done()
