"""Both appenders keep the same contract, the one the command handler relies on: the same
commit positions, and the client's own exceptions for the same situations."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import get_args

import pytest
from kurrentdbclient import AsyncKurrentDBClient, StreamState
from kurrentdbclient.exceptions import (
    AccessDeniedError,
    DeadlineExceededError,
    KurrentDBClientError,
    MaximumAppendSizeExceededError,
    ServiceUnavailableError,
    StreamIsDeletedError,
    WrongCurrentVersionError,
)

from eventstore_lite.testing import EventStoreProcess
from tests.write_service.appends.scenario import events, paused
from write_service.event_appender import AppendMode, EventAppender, appender_for

LIMIT = 10.0
MODES = get_args(AppendMode)


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> AppendMode:
    chosen: AppendMode = request.param
    return chosen


@pytest.fixture
async def appender(client: AsyncKurrentDBClient, mode: AppendMode) -> AsyncIterator[EventAppender]:
    chosen = appender_for(mode, client)
    yield chosen
    await chosen.close()


async def test_an_append_answers_the_commit_position_of_its_last_event(
    client: AsyncKurrentDBClient, appender: EventAppender, stream: str
) -> None:
    position = await appender.append(stream, events(3), StreamState.NO_STREAM, time_limit=LIMIT)
    stored = await client.get_stream(stream)
    assert [event.stream_position for event in stored] == [0, 1, 2]
    assert stored[-1].commit_position == position


async def test_every_kind_of_expected_version_is_honoured(
    client: AsyncKurrentDBClient, appender: EventAppender, stream: str
) -> None:
    for expected in (StreamState.NO_STREAM, 0, StreamState.EXISTS, StreamState.ANY, 3):
        await appender.append(stream, events(), expected, time_limit=LIMIT)
    assert len(await client.get_stream(stream)) == 5


async def test_a_wrong_expected_version_is_the_clients_error_with_both_versions(
    appender: EventAppender, stream: str
) -> None:
    await appender.append(stream, events(2), StreamState.NO_STREAM, time_limit=LIMIT)
    with pytest.raises(WrongCurrentVersionError) as stale:
        await appender.append(stream, events(), 0, time_limit=LIMIT)
    assert (stale.value.actual_version, stale.value.expected_version) == (1, 0)
    with pytest.raises(WrongCurrentVersionError) as missing:
        await appender.append(f"{stream}-none", events(), 4, time_limit=LIMIT)
    assert missing.value.actual_version is StreamState.NO_STREAM
    with pytest.raises(WrongCurrentVersionError):
        await appender.append(f"{stream}-none", events(), StreamState.EXISTS, time_limit=LIMIT)


async def test_a_tombstoned_stream_refuses_appends(
    client: AsyncKurrentDBClient, appender: EventAppender, stream: str
) -> None:
    await client.append_to_stream(stream, events=events(), current_version=StreamState.ANY)
    await client.tombstone_stream(stream, current_version=StreamState.ANY)
    with pytest.raises(StreamIsDeletedError):
        await appender.append(stream, events(), StreamState.ANY, time_limit=LIMIT)


async def test_an_append_over_the_size_limit_is_refused_and_not_stored(
    client: AsyncKurrentDBClient, appender: EventAppender, stream: str
) -> None:
    with pytest.raises(MaximumAppendSizeExceededError):
        await appender.append(stream, events(2, 600_000), StreamState.ANY, time_limit=LIMIT)
    await appender.append(stream, events(), StreamState.NO_STREAM, time_limit=LIMIT)


async def test_a_reserved_stream_refuses_appends(appender: EventAppender, stream: str) -> None:
    with pytest.raises(AccessDeniedError):
        await appender.append(f"${stream}", events(), StreamState.ANY, time_limit=LIMIT)


async def test_a_connection_closed_under_the_appender_is_replaced(
    client: AsyncKurrentDBClient, appender: EventAppender, stream: str
) -> None:
    await client.connection.close()  # before the appender used it
    await appender.append(stream, events(), StreamState.NO_STREAM, time_limit=LIMIT)
    await appender.append(stream, events(), 0, time_limit=LIMIT)
    await client.connection.close()  # while the appender uses it
    await appender.append(stream, events(), 1, time_limit=LIMIT)
    await appender.append(stream, events(), 2, time_limit=LIMIT)
    assert len(await client.get_stream(stream)) == 4


async def test_a_store_that_is_down_is_unavailable_and_its_return_is_noticed(
    fresh_eventstore: EventStoreProcess,
    own_client: AsyncKurrentDBClient,
    mode: AppendMode,
    stream: str,
) -> None:
    appender = appender_for(mode, own_client)
    await appender.append(stream, events(), StreamState.NO_STREAM, time_limit=LIMIT)
    fresh_eventstore.kill()
    with pytest.raises(ServiceUnavailableError):
        await appender.append(stream, events(), 0, time_limit=LIMIT)
    fresh_eventstore.start()
    await _eventually(lambda: appender.append(stream, events(), 0, time_limit=LIMIT))
    assert len(await own_client.get_stream(stream)) == 2
    await appender.close()


async def test_a_store_that_does_not_answer_in_time_is_a_deadline_and_later_answers_again(
    fresh_eventstore: EventStoreProcess,
    own_client: AsyncKurrentDBClient,
    mode: AppendMode,
    stream: str,
) -> None:
    appender = appender_for(mode, own_client)
    await appender.append(stream, events(), StreamState.NO_STREAM, time_limit=LIMIT)
    with paused(fresh_eventstore), pytest.raises(DeadlineExceededError):
        await appender.append(f"{stream}-late", events(), StreamState.ANY, time_limit=0.3)
    await appender.append(stream, events(), 0, time_limit=LIMIT)
    assert len(await own_client.get_stream(stream)) == 2
    await appender.close()


async def _eventually(append: Callable[[], Awaitable[int]]) -> None:
    """Retry while the restarted store is not reachable yet (the client paces its reconnects)."""
    for _ in range(50):
        try:
            await append()
            return
        except ServiceUnavailableError:
            continue
    raise AssertionError("the restarted store never took the append")


async def test_both_appenders_answer_a_scenario_alike(
    client: AsyncKurrentDBClient, stream: str
) -> None:
    """The same script through each: identical outcomes, error messages included."""

    async def script(appender: EventAppender, name: str) -> list[str]:
        outcomes = []
        for expected in (StreamState.NO_STREAM, StreamState.NO_STREAM, 0, 5, StreamState.EXISTS):
            try:
                await appender.append(name, events(), expected, time_limit=LIMIT)
                outcomes.append("stored")
            except KurrentDBClientError as error:
                outcomes.append(f"{type(error).__name__}: {str(error).replace(name, 'S')}")
        outcomes.append(str([event.stream_position for event in await client.get_stream(name)]))
        return outcomes

    results = {}
    for mode in MODES:
        appender = appender_for(mode, client)
        results[mode] = await script(appender, f"{stream}-{mode}")
        await appender.close()
    assert results["batch"] == results["plain"]
    assert results["plain"][1].startswith("WrongCurrentVersionError")
