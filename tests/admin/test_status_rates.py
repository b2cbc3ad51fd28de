"""The rates `orders status` shows: events applied per second between two snapshots."""

from __future__ import annotations

from orders.v1 import admin_pb2 as pb
from orders_cli.status_snapshot import Snapshot, rates


def snapshot(applied: int, at: float) -> Snapshot:
    model = pb.ReadModelStatus(name="order_summaries", events_applied=applied)
    status = pb.GetProjectionStatusResponse(read_models=[model])
    return Snapshot(status, pb.ListParkedEventsResponse(), taken_at=at)


def test_the_rate_is_the_events_applied_between_two_snapshots_per_second() -> None:
    assert rates(snapshot(100, 10.0), snapshot(350, 12.0)) == {"order_summaries": 125.0}


def test_the_first_snapshot_has_no_rate_yet() -> None:
    assert rates(None, snapshot(100, 10.0)) == {}


def test_a_counter_that_went_back_after_a_rebuild_shows_no_negative_rate() -> None:
    assert rates(snapshot(900, 10.0), snapshot(40, 11.0)) == {"order_summaries": 0.0}
