"""When and where a subscription group checkpoints, as the real server decides it.

Every record read from the source gets a sequence number (records a filter drops count
too). The checkpoint is the position of the last record before the oldest one still
unfinished (buffered, in flight or waiting for a retry); with nothing unfinished it is the
last record read. It is written once `max_checkpoint_count` records have finished since
the last one, or on the periodic time check once `checkpoint_after` has passed and at
least `min_checkpoint_count` have.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CheckpointPolicy:
    after_seconds: float | None  # None: never on time alone
    min_count: int
    max_count: int


class CheckpointTracker:
    def __init__(self, checkpoint: int | None, now: float) -> None:
        # sequence -> position of the record read just before it
        self._unfinished: dict[int, int | None] = {}
        self._last_seq = 0 if checkpoint is not None else -1
        self._last_position = checkpoint
        self._written_seq = self._last_seq
        self._written_position = checkpoint
        self._written_at = now

    @property
    def written(self) -> int | None:
        return self._written_position

    def read(self, position: int) -> int:
        """Register a record that will be delivered; returns its sequence number."""
        seq = self._last_seq + 1
        self._unfinished[seq] = self._last_position
        self._last_seq = seq
        self._last_position = position
        return seq

    def skip(self, position: int) -> None:
        """Register a record the group's filter dropped: finished as soon as read."""
        self._last_seq += 1
        self._last_position = position

    def finish(self, seq: int) -> None:
        self._unfinished.pop(seq, None)

    def candidate(self) -> tuple[int, int] | None:
        if self._unfinished:
            first = next(iter(self._unfinished))
            before = self._unfinished[first]
            if before is None:
                return None
            return first - 1, before
        if self._last_position is None:
            return None
        return self._last_seq, self._last_position

    def has_progress(self) -> bool:
        found = self.candidate()
        return found is not None and found[0] > self._written_seq

    def due(self, policy: CheckpointPolicy, now: float, time_check: bool) -> int | None:
        """The position to write now, if the policy says so (and marks it written)."""
        found = self.candidate()
        if found is None:
            return None
        seq, position = found
        difference = seq - self._written_seq
        if difference <= 0:
            return None
        elapsed = now - self._written_at
        timed_out = policy.after_seconds is not None and elapsed >= policy.after_seconds
        if not timed_out and difference < policy.max_count:
            return None
        if (difference >= policy.min_count and time_check) or difference >= policy.max_count:
            return self._mark(seq, position, now)
        return None

    def flush(self, now: float) -> int | None:
        """The position to write before stopping, if it moved since the last write."""
        found = self.candidate()
        if found is None or found[0] <= self._written_seq:
            return None
        return self._mark(found[0], found[1], now)

    def _mark(self, seq: int, position: int, now: float) -> int:
        self._written_seq = seq
        self._written_position = position
        self._written_at = now
        return position
