"""The BatchAppend multiplexer on its own, against a real eventstore_lite: how it shares one
call, and how it falls back to the client's public call when that call cannot be used."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from kurrentdbclient import AsyncKurrentDBClient, StreamState
from kurrentdbclient.exceptions import (
    MaximumAppendSizeExceededError,
    NotFoundError,
    ServiceUnavailableError,
    StreamIsDeletedError,
    WrongCurrentVersionError,
)

from eventstore_lite.testing import EventStoreProcess
from tests.write_service.appends.scenario import events, paused
from write_service.append_stream import BatchAppendMultiplexer

LIMIT = 10.0


@pytest.fixture
async def multiplexer(client: AsyncKurrentDBClient) -> AsyncIterator[BatchAppendMultiplexer]:
    appender = BatchAppendMultiplexer(client)
    yield appender
    await appender.close()


async def _stored(client: AsyncKurrentDBClient, stream: str) -> list[int]:
    return [event.commit_position or 0 for event in await client.get_stream(stream)]


async def test_many_concurrent_appends_share_one_call_and_all_land(
    client: AsyncKurrentDBClient, multiplexer: BatchAppendMultiplexer, stream: str
) -> None:
    streams = [f"{stream}-{index}" for index in range(300)]
    positions = await asyncio.gather(
        *(
            multiplexer.append(name, events(2), StreamState.NO_STREAM, time_limit=LIMIT)
            for name in streams
        )
    )
    assert (multiplexer.calls_opened, multiplexer.fallbacks) == (1, 0)
    assert len(set(positions)) == len(streams)
    for name, position in zip(streams[::30], positions[::30], strict=True):
        assert (await _stored(client, name))[-1] == position


async def test_appends_to_one_stream_on_one_call_keep_their_expected_versions(
    client: AsyncKurrentDBClient, multiplexer: BatchAppendMultiplexer, stream: str
) -> None:
    await multiplexer.append(stream, events(), StreamState.NO_STREAM, time_limit=LIMIT)
    for revision in range(20):
        await multiplexer.append(stream, events(), revision, time_limit=LIMIT)
    assert len(await client.get_stream(stream)) == 21
    assert multiplexer.calls_opened == 1


async def test_a_wrong_expected_version_raises_the_clients_error_with_the_actual_version(
    multiplexer: BatchAppendMultiplexer, stream: str
) -> None:
    await multiplexer.append(stream, events(3), StreamState.NO_STREAM, time_limit=LIMIT)
    with pytest.raises(WrongCurrentVersionError) as refused:
        await multiplexer.append(stream, events(), 0, time_limit=LIMIT)
    assert (refused.value.actual_version, refused.value.expected_version) == (2, 0)
    with pytest.raises(WrongCurrentVersionError) as new_expected:
        await multiplexer.append(stream, events(), StreamState.NO_STREAM, time_limit=LIMIT)
    assert new_expected.value.actual_version == 2
    assert multiplexer.fallbacks == 0


async def test_an_append_the_server_refuses_does_not_harm_the_others_on_the_call(
    client: AsyncKurrentDBClient, multiplexer: BatchAppendMultiplexer, stream: str
) -> None:
    tombstoned = f"{stream}-tombstoned"
    await client.append_to_stream(tombstoned, events=events(), current_version=StreamState.ANY)
    await client.tombstone_stream(tombstoned, current_version=StreamState.ANY)
    good = [f"{stream}-{index}" for index in range(40)]
    outcomes = await asyncio.gather(
        multiplexer.append(tombstoned, events(), StreamState.ANY, time_limit=LIMIT),
        multiplexer.append(f"{stream}-huge", events(1, 2 << 20), StreamState.ANY, time_limit=LIMIT),
        multiplexer.append(f"{stream}-0", events(), 7, time_limit=LIMIT),
        *(multiplexer.append(name, events(), StreamState.ANY, time_limit=LIMIT) for name in good),
        return_exceptions=True,
    )
    assert [type(outcome) for outcome in outcomes[:3]] == [
        StreamIsDeletedError,
        MaximumAppendSizeExceededError,
        WrongCurrentVersionError,
    ]
    assert all(isinstance(outcome, int) for outcome in outcomes[3:])
    for name in good:
        assert len(await client.get_stream(name)) == 1
    await multiplexer.append(f"{stream}-after", events(), StreamState.ANY, time_limit=LIMIT)
    assert (multiplexer.calls_opened, multiplexer.fallbacks) == (1, 0)


async def test_a_cancelled_caller_leaves_the_call_to_the_others(
    client: AsyncKurrentDBClient, multiplexer: BatchAppendMultiplexer, stream: str
) -> None:
    await multiplexer.append(f"{stream}-first", events(), StreamState.ANY, time_limit=LIMIT)
    doomed = asyncio.create_task(
        multiplexer.append(f"{stream}-cancelled", events(), StreamState.ANY, time_limit=LIMIT)
    )
    others = [
        asyncio.create_task(
            multiplexer.append(
                f"{stream}-{index}", events(), StreamState.NO_STREAM, time_limit=LIMIT
            )
        )
        for index in range(20)
    ]
    await asyncio.sleep(0)  # one step: every append has sent its request and awaits its answer
    doomed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await doomed
    await asyncio.gather(*others)
    await multiplexer.append(f"{stream}-last", events(), StreamState.NO_STREAM, time_limit=LIMIT)
    assert (multiplexer.calls_opened, multiplexer.fallbacks) == (1, 0)
    assert len(await client.get_stream(f"{stream}-last")) == 1


async def test_an_append_whose_caller_gave_up_before_it_was_sent_is_never_sent(
    client: AsyncKurrentDBClient, multiplexer: BatchAppendMultiplexer, stream: str
) -> None:
    await multiplexer.append(f"{stream}-first", events(), StreamState.ANY, time_limit=LIMIT)
    doomed = asyncio.create_task(
        multiplexer.append(f"{stream}-never", events(), StreamState.ANY, time_limit=LIMIT)
    )
    await asyncio.sleep(0)  # one step: the request is queued, not yet taken by the call
    doomed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await doomed
    await multiplexer.append(f"{stream}-next", events(), StreamState.ANY, time_limit=LIMIT)
    with pytest.raises(NotFoundError):
        await client.get_stream(f"{stream}-never")


async def test_a_client_that_never_connected_appends_per_call_first_then_shares_a_call(
    eventstore_uri: str, stream: str
) -> None:
    client = AsyncKurrentDBClient(eventstore_uri)
    multiplexer = BatchAppendMultiplexer(client)
    try:
        await multiplexer.append(stream, events(), StreamState.NO_STREAM, time_limit=LIMIT)
        assert (multiplexer.calls_opened, multiplexer.fallbacks) == (0, 1)
        await multiplexer.append(stream, events(), 0, time_limit=LIMIT)
        assert (multiplexer.calls_opened, multiplexer.fallbacks) == (1, 1)
        assert len(await client.get_stream(stream)) == 2
    finally:
        await multiplexer.close()
        await client.close()


async def test_a_reconnected_client_gets_a_new_call_on_its_new_connection(
    client: AsyncKurrentDBClient, multiplexer: BatchAppendMultiplexer, stream: str
) -> None:
    await multiplexer.append(stream, events(), StreamState.NO_STREAM, time_limit=LIMIT)
    await client.reconnect()
    await multiplexer.append(stream, events(), 0, time_limit=LIMIT)
    assert (multiplexer.calls_opened, multiplexer.fallbacks) == (2, 0)
    assert len(await client.get_stream(stream)) == 2


async def _appends_once_up(multiplexer: BatchAppendMultiplexer, stream: str) -> None:
    """Append until the restarted store takes it (the client's own reconnects pace this)."""
    for _ in range(50):
        try:
            await multiplexer.append(stream, events(), StreamState.ANY, time_limit=LIMIT)
            return
        except ServiceUnavailableError:
            continue
    raise AssertionError("the restarted store never took an append")


async def test_a_store_restart_mid_stream_falls_back_per_call_then_shares_a_call_again(
    fresh_eventstore: EventStoreProcess, own_client: AsyncKurrentDBClient, stream: str
) -> None:
    multiplexer = BatchAppendMultiplexer(own_client)
    await multiplexer.append(f"{stream}-before", events(), StreamState.ANY, time_limit=LIMIT)
    with paused(fresh_eventstore):
        in_flight = [
            asyncio.create_task(
                multiplexer.append(f"{stream}-{index}", events(), StreamState.ANY, time_limit=LIMIT)
            )
            for index in range(10)
        ]
        await asyncio.sleep(0)  # one step: all ten wait on the call for their answers
        fresh_eventstore.kill()
    outcomes = await asyncio.gather(*in_flight, return_exceptions=True)
    # The call broke with all ten unanswered; each was tried per call, on a store still down.
    assert [type(outcome) for outcome in outcomes] == [ServiceUnavailableError] * 10
    assert multiplexer.fallbacks == 10
    with pytest.raises(ServiceUnavailableError):
        await multiplexer.append(f"{stream}-down", events(), StreamState.ANY, time_limit=LIMIT)
    assert multiplexer.calls_opened == 1  # no call is opened while the store is down

    fresh_eventstore.start()
    await _appends_once_up(multiplexer, f"{stream}-back")
    fallbacks = multiplexer.fallbacks
    await asyncio.gather(
        *(
            multiplexer.append(
                f"{stream}-after-{index}", events(), StreamState.ANY, time_limit=LIMIT
            )
            for index in range(30)
        )
    )
    assert (multiplexer.calls_opened, multiplexer.fallbacks) == (2, fallbacks)
    assert len(await own_client.get_stream(f"{stream}-after-29")) == 1
    await multiplexer.close()
