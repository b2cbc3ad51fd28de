"""What the read service exports beyond its calls: queries waiting for the projection (how many
now, how each wait ended, how long it took, each in a span of the query's trace) and the answer
cache's hits and misses, read from the cache's own counters when Prometheus scrapes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from opentelemetry import trace
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from orders_runtime.metrics import LATENCY_BUCKETS
from read_service.answer_cache import AnswerCache
from read_service.cluster_time import SeenAt
from read_service.projection_watcher import ProjectionWatcher


class ReadMetrics:
    def __init__(self, registry: CollectorRegistry, tracer: trace.Tracer | None) -> None:
        self.registry = registry
        self.tracer = tracer
        self.waits = Counter(
            "orders_read_consistency_waits",
            "Queries that waited for the projection to reach their consistency token, by the"
            " read model waited on and outcome: reached, not_reached (gave up before the"
            " deadline), failed",
            ("read_model", "outcome"),
            registry=registry,
        )
        self.wait_seconds = Histogram(
            "orders_read_consistency_wait_seconds",
            "How long queries waited for the projection to reach their consistency token",
            ("read_model",),
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    def watch(self, cache: AnswerCache[Any], watcher: ProjectionWatcher) -> None:
        """Export the cache's counters and the number of queries waiting now."""
        Gauge(
            "orders_read_waiting_queries",
            "Queries waiting for the projection to reach their consistency token now",
            registry=self.registry,
        ).set_function(lambda: watcher.waiting)
        self.registry.register(_CacheCollector(cache))


class ObservedProjectionWatcher(ProjectionWatcher):
    """The shared watcher, each wait counted, timed and made a span of its query's trace."""

    def __init__(self, *args: Any, metrics: ReadMetrics, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._metrics = metrics

    async def wait_for_revision(
        self, model: str, identifier: str, revision: int, deadline: float
    ) -> SeenAt | None:
        started = time.perf_counter()
        outcome = "failed"
        try:
            if self._metrics.tracer is None:
                seen = await super().wait_for_revision(model, identifier, revision, deadline)
            else:
                with self._metrics.tracer.start_as_current_span(
                    "wait for projection",
                    attributes={
                        "orders.read_model": model,
                        "orders.document_id": identifier,
                        "orders.revision": revision,
                    },
                ) as span:
                    seen = await super().wait_for_revision(model, identifier, revision, deadline)
                    span.set_attribute("orders.reached", seen is not None)
            outcome = "not_reached" if seen is None else "reached"
            return seen
        finally:
            self._metrics.waits.labels(model, outcome).inc()
            self._metrics.wait_seconds.labels(model).observe(time.perf_counter() - started)


class _CacheCollector(Collector):
    def __init__(self, cache: AnswerCache[Any]) -> None:
        self._cache = cache

    def collect(self) -> Iterator[CounterMetricFamily]:
        counters = self._cache.counters
        asked = "Token-less GetOrderSummary and ListCustomerOrders answers"
        for name, value, help_text in (
            ("hits", counters.hits, f"{asked} found in memory"),
            ("misses", counters.misses, f"{asked} read from MongoDB"),
            ("invalidations", counters.invalidations, "Cached answers dropped by a change"),
        ):
            yield CounterMetricFamily(f"orders_read_cache_{name}", help_text, value=value)
