"""How long the next batch waits for more events after its first one: adapted to the load.

While the projector keeps up, a batch is written as soon as its first event arrives and nothing
else is queued: the lowest latency. When events were already waiting once a batch was written,
the load outpaces the batches, and the next batch lingers for as long as the last one took to
write (at most ``max_wait``): it takes in more events, so that the costs every batch pays once
(its transaction and the commit's sync to disk, the acknowledgements, documents that several
of its events change) are shared by more events.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Linger:
    max_wait: float
    enabled: bool = True
    seconds: float = 0.0

    def observe(self, queued_after: int, write_seconds: float) -> None:
        """After a batch: the events queued meanwhile and how long it took to write."""
        busy = self.enabled and queued_after > 0
        self.seconds = min(self.max_wait, write_seconds) if busy else 0.0
