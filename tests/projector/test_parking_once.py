"""An event parked again (redelivered after its message timeout while it was being isolated,
or parked by another replica) keeps one record and is told apart, so that it is logged and
counted once."""

from __future__ import annotations

import uuid

from kurrentdbclient.events import RecordedEvent

from projector.failures import Failure, Fault
from projector.parked import ParkedEvents
from tests.projector.projector_harness import connect


async def test_the_second_parking_of_an_event_is_told_apart_and_keeps_one_record(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    event = RecordedEvent(
        type="OrderPlaced",
        data=b"{}",
        metadata=b"{}",
        content_type="application/json",
        id=uuid.uuid4(),
        stream_name="order-o-1",
        stream_position=0,
        commit_position=10,
        prepare_position=10,
    )
    async with connect(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stores:
        parked = ParkedEvents(stores.db)
        first = await parked.record(event, Failure(Fault.EVENT, "cannot fold", hopeless=True))
        again = await parked.record(event, Failure(Fault.EVENT, "still cannot", hopeless=True))
        records = await parked.all()

    assert (first, again) == (True, False)
    assert [(r.stream_name, r.revision, r.reason) for r in records] == [
        ("order-o-1", 0, "still cannot")
    ]
