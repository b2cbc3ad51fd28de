"""Adaptive batching: idle, a batch never waits; under load, it lingers for more events."""

from __future__ import annotations

import asyncio

from projector.batching import Linger
from projector.consumer import next_batch
from tests.waiting import PATIENCE_SECONDS


def test_a_projector_that_keeps_up_does_not_linger() -> None:
    linger = Linger(max_wait=0.05)
    linger.observe(queued_after=0, write_seconds=0.02)
    assert linger.seconds == 0.0


def test_events_queued_during_a_write_make_the_next_batch_linger_as_long_as_that_write() -> None:
    linger = Linger(max_wait=0.05)
    linger.observe(queued_after=7, write_seconds=0.02)
    assert linger.seconds == 0.02


def test_the_linger_never_exceeds_the_longest_wait_of_a_batch() -> None:
    linger = Linger(max_wait=0.05)
    linger.observe(queued_after=7, write_seconds=0.3)
    assert linger.seconds == 0.05


def test_the_linger_ends_once_the_queue_is_found_empty_after_a_write() -> None:
    linger = Linger(max_wait=0.05)
    linger.observe(queued_after=7, write_seconds=0.02)
    linger.observe(queued_after=0, write_seconds=0.02)
    assert linger.seconds == 0.0


def test_a_disabled_linger_never_waits() -> None:
    linger = Linger(max_wait=0.05, enabled=False)
    linger.observe(queued_after=7, write_seconds=0.02)
    assert linger.seconds == 0.0


async def test_a_lingering_batch_takes_an_event_that_arrives_after_its_first() -> None:
    queue: asyncio.Queue[int] = asyncio.Queue()
    queue.put_nowait(1)
    gathering = asyncio.create_task(next_batch(queue, max_size=2, max_wait=3600, linger=3600))
    for _ in range(10):  # turns of the loop: without the linger the batch would be flushed
        await asyncio.sleep(0)
    assert not gathering.done()
    queue.put_nowait(2)
    assert await asyncio.wait_for(gathering, PATIENCE_SECONDS) == [1, 2]
