"""Telling a stalled subscription from a quiet one.

A subscription is stalled when events of our streams wait — the head of $all for our streams
is beyond the greatest position the projection has applied — and this replica has handled no
event for ``stall_seconds``. Quiet (nothing waits) is never a stall. While a store is being
retried the clock stands still: that state has its own reason.

With several replicas the applied position is the greatest any of them recorded, so a replica
that receives nothing because the others handle the new events is not taken for stalled; the
price is that a replica whose own events hang while others move past them is not seen here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class StallJudge:
    stall_seconds: float
    _handled: int = -1
    _quiet_since: float | None = None

    def restart(self, now: float) -> None:
        """Count from now (a store outage, a new subscription)."""
        self._quiet_since = now

    def observe(self, now: float, *, handled: int, applied: int, head: int | None) -> str | None:
        """The reason the subscription is stalled, or None.

        ``handled``: events this replica has handled so far; ``applied``: the greatest position
        the projection reached; ``head``: the last position of our streams, None if unreadable.
        """
        caught_up = head is not None and head <= applied
        if self._quiet_since is None or handled != self._handled or caught_up:
            self._handled = handled
            self._quiet_since = now
            return None
        quiet = now - self._quiet_since
        if quiet < self.stall_seconds:
            return None
        if head is None:
            return f"no event arrived for {quiet:.0f} s and the head of $all cannot be read"
        return (
            f"events wait up to position {head}, the projection is at {applied},"
            f" and no event arrived for {quiet:.0f} s"
        )
