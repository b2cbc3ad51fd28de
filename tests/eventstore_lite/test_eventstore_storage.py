"""The storage API the servicers and the persistent-subscription code build on."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from eventstore_lite.errors import StreamDeleted, StreamNotFound, WrongExpectedRevision
from eventstore_lite.filters import EventFilter, FilterTarget
from eventstore_lite.records import ProposedEvent, StreamState
from eventstore_lite.storage import EventStorage
from tests.waiting import PATIENCE_SECONDS


def proposed(event_type: str = "Happened") -> ProposedEvent:
    return ProposedEvent(uuid.uuid4(), event_type, b"{}", b"", "application/json")


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[EventStorage]:
    opened = EventStorage(tmp_path / "store")
    yield opened
    opened.close()


def test_a_new_log_starts_with_one_system_event_like_the_real_server(storage: EventStorage) -> None:
    first = storage.read_all(None, False, 10)

    assert [(e.stream_name, e.type) for e in first] == [("$$$scavenges", "$metadata")]
    assert storage.head_position() == first[0].commit_position


def test_append_returns_the_new_revision_and_the_position_of_the_last_event(
    storage: EventStorage,
) -> None:
    result = storage.append("s", StreamState.NO_STREAM, [proposed(), proposed()])

    events = storage.read_stream("s", None, False, 10)
    assert result.revision == 1
    assert result.position == events[-1].commit_position == storage.head_position()


def test_a_stale_expected_revision_is_refused_with_the_actual_revision(
    storage: EventStorage,
) -> None:
    storage.append("s", StreamState.NO_STREAM, [proposed()])

    with pytest.raises(WrongExpectedRevision) as refused:
        storage.append("s", 3, [proposed()])

    assert (refused.value.expected, refused.value.actual) == (3, 0)


def test_read_all_filters_by_event_type_prefix_and_by_stream_regex(storage: EventStorage) -> None:
    storage.append("order-1", StreamState.ANY, [proposed("OrderPlaced"), proposed("Other")])
    storage.append("customer-1", StreamState.ANY, [proposed("CustomerRegistered")])

    by_type = storage.read_all(None, False, 10, EventFilter(FilterTarget.EVENT_TYPE, ("Order",)))
    by_stream = storage.read_all(
        None, False, 10, EventFilter(FilterTarget.STREAM_NAME, regex="^customer-")
    )

    assert [e.type for e in by_type] == ["OrderPlaced"]
    assert [e.stream_name for e in by_stream] == ["customer-1"]


async def test_wait_for_append_returns_once_an_event_lands_after_the_position(
    storage: EventStorage,
) -> None:
    head = storage.head_position()
    waiter = asyncio.create_task(storage.wait_for_append(head))
    await asyncio.sleep(0)
    assert not waiter.done()

    storage.append("s", StreamState.ANY, [proposed()])

    await asyncio.wait_for(waiter, PATIENCE_SECONDS)


def test_tombstones_and_soft_deletes_survive_reopening_the_database(tmp_path: Path) -> None:
    storage = EventStorage(tmp_path / "store")
    storage.append("gone", StreamState.ANY, [proposed()])
    storage.tombstone_stream("gone", StreamState.ANY)
    storage.tombstone_stream("never-written", StreamState.ANY)
    storage.append("hidden", StreamState.ANY, [proposed(), proposed()])
    storage.delete_stream("hidden", 1)
    storage.close()

    reopened = EventStorage(tmp_path / "store")

    with pytest.raises(StreamDeleted):
        reopened.read_stream("gone", None, False, 1)
    with pytest.raises(StreamDeleted):
        reopened.append("never-written", StreamState.ANY, [proposed()])
    with pytest.raises(StreamNotFound):
        reopened.read_stream("hidden", None, False, 1)
    assert reopened.append("hidden", StreamState.NO_STREAM, [proposed()]).revision == 2
    reopened.close()
