"""`orders watch` prints an order's changes as they are projected, until Ctrl-C."""

from __future__ import annotations

import asyncio
import signal
import sys

from tests.read_service.full_stack import place, register, running_stack
from tests.read_service.read_harness import feed_following
from tests.waiting import PATIENCE_SECONDS
from tests.watch.lifecycle import step


async def _line_with(stream: asyncio.StreamReader, *words: str) -> str:
    """The next printed line holding every one of ``words`` (earlier lines are skipped)."""

    async def find() -> str:
        while True:
            line = (await stream.readline()).decode()
            if not line:
                raise AssertionError(f"the command ended before printing {words}")
            if all(word in line for word in words):
                return line

    return await asyncio.wait_for(find(), PATIENCE_SECONDS)


async def test_orders_watch_prints_each_change_as_it_is_projected_until_interrupted(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    async with running_stack(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stack:
        await feed_following(stack.reads)
        await register(stack, "c-1", "Ada")
        placed = await place(stack, "o-1", "c-1")
        token = placed.consistency_token
        watch = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "orders_cli",
            "watch",
            "o-1",
            "--read-addr",
            f"127.0.0.1:{stack.reads.port}",
            "--resume",
            f"{token.stream}@{token.revision}:{token.commit_position}",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            assert watch.stdout is not None
            # Resumed from the placement: the order itself is not repeated, nothing is missed.
            await _line_with(watch.stdout, "caught up")
            paid = await step(stack.commands, "o-1", 1)
            line = await _line_with(watch.stdout, "change", "o-1", f"rev {paid.revision}")
            assert "(after 0)" in line
            assert "paid" in line
            assert f"resume: order-o-1@{paid.revision}:" in line
            shipped = await step(stack.commands, "o-1", 2)
            line = await _line_with(watch.stdout, "change", f"rev {shipped.revision}")
            assert "shipped" in line
            watch.send_signal(signal.SIGINT)
            assert await asyncio.wait_for(watch.wait(), PATIENCE_SECONDS) == 0
        finally:
            if watch.returncode is None:
                watch.kill()
                await watch.wait()
