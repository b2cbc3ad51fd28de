"""Prometheus metrics of one process: its own registry, and the ``/metrics`` endpoint serving it.

Each composition root makes one ``CollectorRegistry`` (never the library's global one, so tests
can run several services in one process and each counts only its own) and hands the metric
objects built on it to the code that counts. ``METRICS_PORT`` unset or 0 leaves the endpoint
off; the counting still happens (a few hundred nanoseconds), so nothing forks on it.

The endpoint is prometheus_client's own HTTP server on a daemon thread: a scrape reads numbers
the event loop updates, under the GIL, and never waits for the loop.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Final
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    CollectorRegistry,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
    start_http_server,
)

# Seconds: from a cached answer (well under a millisecond) to a waiting query's 5 s.
LATENCY_BUCKETS: Final = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)


def process_registry() -> CollectorRegistry:
    """A registry holding the process's CPU, memory, file descriptors, GC and Python version."""
    registry = CollectorRegistry(auto_describe=True)
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


@dataclass(slots=True)
class MetricsEndpoint:
    """``/metrics`` served on ``port``; ``close`` stops it."""

    port: int
    _server: WSGIServer | None
    _thread: threading.Thread | None

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def serve_metrics(registry: CollectorRegistry, host: str, port: int) -> MetricsEndpoint:
    """Serve ``registry`` at ``http://host:port/metrics``; port 0 serves nothing.

    Raises OSError when the port is taken, as the gRPC server factory does."""
    if port == 0:
        return MetricsEndpoint(0, None, None)
    bare = host.removeprefix("[").removesuffix("]")
    server, thread = start_http_server(port, addr=bare, registry=registry)
    return MetricsEndpoint(server.server_port, server, thread)
