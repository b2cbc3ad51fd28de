"""Connected consumers of a group and the strategies that choose one for each message.

A consumer takes at most `max_in_flight` unacknowledged messages (the `buffer_size` its
client asked for). DispatchToSingle fills the first consumer that has room, RoundRobin
takes turns among those with room, Pinned sends every event of a stream to the same
consumer (chosen by a stable hash of the stream name) and holds the stream's events back
while that consumer is full.
"""

from __future__ import annotations

import asyncio
import zlib
from dataclasses import dataclass, field

from kurrentdbclient.protos.v1 import persistent_pb2


@dataclass(frozen=True, slots=True)
class Dropped:
    """Ends a consumer's stream with a gRPC status (a `grpc.StatusCode` name)."""

    code: str
    details: str


Outbox = asyncio.Queue[persistent_pb2.ReadResp | Dropped]


@dataclass(eq=False, slots=True)
class Consumer:
    max_in_flight: int
    peer: str
    connection_name: str
    structured_ids: bool
    outbox: Outbox = field(default_factory=asyncio.Queue)
    in_flight: int = 0
    total_items: int = 0

    @property
    def available_slots(self) -> int:
        return max(0, self.max_in_flight - self.in_flight)


class Strategy:
    """Chooses a consumer with room for a message of stream `partition`, or None."""

    # Whether a None means nobody has room (so later messages needn't be tried).
    none_means_full = True

    def choose(self, consumers: list[Consumer], partition: str) -> Consumer | None:
        for consumer in consumers:
            if consumer.in_flight < consumer.max_in_flight:
                return consumer
        return None


class RoundRobin(Strategy):
    def __init__(self) -> None:
        self._turn = 0

    def choose(self, consumers: list[Consumer], partition: str) -> Consumer | None:
        count = len(consumers)
        for step in range(count):
            consumer = consumers[(self._turn + step) % count]
            if consumer.in_flight < consumer.max_in_flight:
                self._turn = (self._turn + step + 1) % count
                return consumer
        return None


class Pinned(Strategy):
    none_means_full = False

    def choose(self, consumers: list[Consumer], partition: str) -> Consumer | None:
        if not consumers:
            return None
        consumer = consumers[zlib.crc32(partition.encode()) % len(consumers)]
        return consumer if consumer.in_flight < consumer.max_in_flight else None


def strategy_named(name: str) -> Strategy:
    if name == "RoundRobin":
        return RoundRobin()
    if name in ("Pinned", "PinnedByCorrelation"):
        return Pinned()
    return Strategy()
