"""Fuzzing fixtures: one seeded server of each kind per module, and the count of every answer
(printed at the end of the run by tests/fuzz/tally_report.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.fuzz import fuzz_targets
from tests.fuzz.fuzz_targets import CommandTarget, EventStoreTarget, QueryTarget
from tests.fuzz.status_tally import StatusTally
from tests.fuzz.tally_report import TALLY


@pytest.fixture(scope="session")
def tally(request: pytest.FixtureRequest) -> StatusTally:
    return request.config.stash.setdefault(TALLY, StatusTally())


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def command_target(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[CommandTarget]:
    # An event store of its own: nothing but the fuzzed commands may move its head.
    async with (
        fuzz_targets.own_eventstore(tmp_path_factory.mktemp("fuzz-commands")) as process,
        fuzz_targets.command_target(process.uri) as target,
    ):
        yield target


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def query_target(mongo_uri: str) -> AsyncIterator[QueryTarget]:
    async with fuzz_targets.query_target(mongo_uri) as target:
        yield target


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def eventstore_target(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[EventStoreTarget]:
    async with (
        fuzz_targets.own_eventstore(tmp_path_factory.mktemp("fuzz-eventstore")) as process,
        fuzz_targets.eventstore_target(process) as target,
    ):
        yield target
