"""The checkpoint policy as plain data: which position is written, and when."""

from __future__ import annotations

from eventstore_lite.persistent.checkpoints import CheckpointPolicy, CheckpointTracker

EVERY_EVENT = CheckpointPolicy(after_seconds=None, min_count=1, max_count=1)


def test_the_checkpoint_stops_before_the_oldest_unfinished_event() -> None:
    tracker = CheckpointTracker(checkpoint=None, now=0.0)
    first, second, third = (tracker.read(p) for p in (10, 20, 30))
    tracker.finish(first)
    tracker.finish(third)
    assert tracker.due(EVERY_EVENT, now=0.0, time_check=False) == 10
    tracker.finish(second)
    assert tracker.due(EVERY_EVENT, now=0.0, time_check=False) == 30


def test_nothing_is_written_while_the_first_event_is_unfinished() -> None:
    tracker = CheckpointTracker(checkpoint=None, now=0.0)
    tracker.read(10)
    second = tracker.read(20)
    tracker.finish(second)
    assert tracker.due(EVERY_EVENT, now=100.0, time_check=True) is None


def test_events_a_filter_dropped_move_the_checkpoint_too() -> None:
    tracker = CheckpointTracker(checkpoint=5, now=0.0)
    tracker.finish(tracker.read(10))
    tracker.skip(11)
    tracker.skip(12)
    assert tracker.due(EVERY_EVENT, now=0.0, time_check=False) == 12


def test_below_the_max_count_only_the_time_check_writes_after_the_delay() -> None:
    policy = CheckpointPolicy(after_seconds=2.0, min_count=2, max_count=10)
    tracker = CheckpointTracker(checkpoint=None, now=0.0)
    for position in (1, 2, 3):
        tracker.finish(tracker.read(position))
    assert tracker.due(policy, now=1.0, time_check=True) is None
    assert tracker.due(policy, now=3.0, time_check=False) is None
    assert tracker.due(policy, now=3.0, time_check=True) == 3
    assert tracker.due(policy, now=9.0, time_check=True) is None


def test_reaching_the_max_count_writes_without_waiting() -> None:
    policy = CheckpointPolicy(after_seconds=60.0, min_count=1, max_count=3)
    tracker = CheckpointTracker(checkpoint=None, now=0.0)
    for position in (1, 2):
        tracker.finish(tracker.read(position))
    assert tracker.due(policy, now=0.1, time_check=False) is None
    tracker.finish(tracker.read(3))
    assert tracker.due(policy, now=0.1, time_check=False) == 3


def test_a_flush_writes_progress_once() -> None:
    tracker = CheckpointTracker(checkpoint=7, now=0.0)
    assert tracker.flush(now=1.0) is None
    tracker.finish(tracker.read(8))
    assert tracker.flush(now=1.0) == 8
    assert tracker.flush(now=2.0) is None
