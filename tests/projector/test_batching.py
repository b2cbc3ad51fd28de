"""Batches: as large as what is queued, flushed at once when the queue runs dry."""

from __future__ import annotations

import asyncio
import time

from projector.consumer import next_batch


async def test_a_lone_event_is_flushed_at_once_instead_of_waiting_for_the_batch_to_fill() -> None:
    queue: asyncio.Queue[int] = asyncio.Queue()
    queue.put_nowait(1)
    started = time.monotonic()
    batch = await next_batch(queue, max_size=500, max_wait=10.0)
    assert batch == [1]
    assert time.monotonic() - started < 0.5


async def test_a_batch_takes_what_is_queued_up_to_its_size() -> None:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(12):
        queue.put_nowait(n)
    assert await next_batch(queue, max_size=5, max_wait=10.0) == [0, 1, 2, 3, 4]
    assert await next_batch(queue, max_size=50, max_wait=10.0) == list(range(5, 12))


async def test_a_batch_waits_for_its_first_event() -> None:
    queue: asyncio.Queue[int] = asyncio.Queue()
    waiting = asyncio.create_task(next_batch(queue, max_size=5, max_wait=0.01))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    queue.put_nowait(7)
    assert await asyncio.wait_for(waiting, 1) == [7]
