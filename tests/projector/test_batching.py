"""Batches: as large as what is queued, flushed at once when the queue runs dry."""

from __future__ import annotations

import asyncio

from projector.consumer import next_batch
from tests.waiting import PATIENCE_SECONDS


async def test_a_lone_event_is_flushed_at_once_instead_of_waiting_for_the_batch_to_fill() -> None:
    queue: asyncio.Queue[int] = asyncio.Queue()
    queue.put_nowait(1)
    # Waiting for the batch to fill would take the hour: the hang guard fails it long before.
    batch = await asyncio.wait_for(next_batch(queue, max_size=500, max_wait=3600), PATIENCE_SECONDS)
    assert batch == [1]


async def test_a_batch_takes_what_is_queued_up_to_its_size() -> None:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(12):
        queue.put_nowait(n)
    assert await next_batch(queue, max_size=5, max_wait=10.0) == [0, 1, 2, 3, 4]
    assert await next_batch(queue, max_size=50, max_wait=10.0) == list(range(5, 12))


async def test_a_batch_waits_for_its_first_event() -> None:
    queue: asyncio.Queue[int] = asyncio.Queue()
    waiting = asyncio.create_task(next_batch(queue, max_size=5, max_wait=0.01))
    for _ in range(10):  # turns of the loop, in which an empty queue gives nothing
        await asyncio.sleep(0)
    assert not waiting.done()
    queue.put_nowait(7)
    assert await waiting == [7]
