"""MongoDB command latency, from the driver's own command monitoring.

Given to ``AsyncMongoClient(event_listeners=[...])``, it times every command the client sends
(the projector's ``commitTransaction`` is the moment its batch becomes durable, the read
service's ``find`` and ``aggregate`` are its queries) without a line in the code that sends them.
"""

from __future__ import annotations

from typing import Final

from prometheus_client import CollectorRegistry, Counter, Histogram
from pymongo import monitoring

from orders_runtime.metrics import LATENCY_BUCKETS

# Handshakes and heartbeats are the driver's business, and would drown the rest.
_IGNORED: Final = frozenset({"hello", "isMaster", "ismaster", "ping", "endSessions"})


class MongoCommandMetrics(monitoring.CommandListener):
    def __init__(self, registry: CollectorRegistry) -> None:
        self._seconds = Histogram(
            "orders_mongodb_command_duration_seconds",
            "Time of MongoDB commands that succeeded, by command name, as the driver saw it",
            ("command",),
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self._failures = Counter(
            "orders_mongodb_command_failures",
            "MongoDB commands that failed, by command name",
            ("command",),
            registry=registry,
        )

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        return

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        if event.command_name not in _IGNORED:
            self._seconds.labels(event.command_name).observe(event.duration_micros / 1e6)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        if event.command_name not in _IGNORED:
            self._failures.labels(event.command_name).inc()
