"""Two operators asking for a rebuild at the same moment start one rebuild, not two: the
second is refused even when it asked while the first was still reading the version pointer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from projector.admin_errors import RebuildInProgressError
from projector.admin_rebuild import RebuildJobs
from projector.rebuild import RebuildProgress
from tests.projector.projector_harness import connect


async def test_of_two_rebuilds_asked_for_at_once_one_starts_and_the_other_is_refused(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    started = 0
    release = asyncio.Event()

    async def rebuild(tell: Callable[[RebuildProgress], None]) -> int:
        nonlocal started
        started += 1
        await release.wait()
        return 2

    async with connect(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stores:
        jobs = RebuildJobs(stores.db, rebuild)
        # Both calls run to their first await (the pointer read) before either starts a task.
        outcomes = await asyncio.gather(
            jobs.start(force=False), jobs.start(force=False), return_exceptions=True
        )
        release.set()
        followed = [o for o in outcomes if not isinstance(o, BaseException)]
        for progress in followed:
            assert isinstance(progress, AsyncIterator)
            assert [p async for p in progress] == []
        await jobs.close()

    assert started == 1
    assert len(followed) == 1
    assert [type(o) for o in outcomes if isinstance(o, BaseException)] == [RebuildInProgressError]
