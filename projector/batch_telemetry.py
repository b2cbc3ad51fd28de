"""What the projector exports about its batches: their sizes and time, the events applied,
redelivered, skipped and parked, the lag, and a span per batch linked to the span of every
command whose events it holds (their ``traceparent`` metadata).

Every read model is written by the same batch transaction, so each gets the same numbers; the
``read_model`` label names them as the status documents do, so a dashboard stays right once a
read model has a projector of its own.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter as Counts
from collections.abc import Iterator, Sequence

import msgspec
from kurrentdbclient import RecordedEvent
from opentelemetry import trace
from opentelemetry.trace import Link, SpanKind
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from orders_contracts.codec import EventMetadata
from orders_runtime.metrics import LATENCY_BUCKETS
from orders_runtime.tracing import span_context_of
from projector.event_source import Lag
from projector.progress import READ_MODELS
from projector.stale_sessions import KILL_REASONS

BATCH_SIZE_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000)


class BatchObserver:
    """The consumer's hooks; this one observes nothing (tests and tools)."""

    @contextlib.contextmanager
    def batch(self, events: Sequence[RecordedEvent]) -> Iterator[Sequence[RecordedEvent]]:
        """Around the handling of one delivered batch."""
        yield events

    def counted(self, counts: Counts[str]) -> None:
        """What a batch did: ``applied``, ``duplicate``, ``parked``, ... (``BatchChanges``)."""

    def lagged(self, lag: Lag, position: int) -> None:
        """The lag behind the head of $all after the batches up to ``position``."""

    def sessions_killed(self, reason: str, count: int) -> None:
        """Sessions of dead replicas killed, and why (``stale_sessions``)."""


class BatchTelemetry(BatchObserver):
    def __init__(self, registry: CollectorRegistry, tracer: trace.Tracer | None) -> None:
        self._tracer = tracer
        self._metadata = msgspec.json.Decoder(EventMetadata)
        label = ("read_model",)

        def counter(name: str, text: str) -> Counter:
            return Counter(name, text, label, registry=registry)

        def gauge(name: str, text: str) -> Gauge:
            return Gauge(name, text, label, registry=registry)

        self._applied = counter("orders_projector_events_applied", "Events applied")
        self._skipped = counter(
            "orders_projector_events_skipped",
            "Events skipped: already applied (redelivered), or of a type or schema this"
            " projector does not know",
        )
        self._parked = counter(
            "orders_projector_events_parked", "Events parked: they cannot be projected"
        )
        self._retried = counter(
            "orders_projector_events_retried",
            "Events delivered again by the subscription group (after a nack or a timeout)",
        )
        self._contention = Counter(
            "orders_projector_contention",
            "Batch writes that lost to another writer: ``write_conflict``, a transaction run"
            " again after a write conflict; ``replanned``, a batch planned again because the"
            " documents it read had moved",
            ("kind",),
            registry=registry,
        )
        self._sessions_killed = Counter(
            "orders_projector_sessions_killed",
            "Sessions of dead replicas killed to end their open transactions: ``restart``, of"
            " a process on this host that no longer runs; ``heartbeat``, of a replica with no"
            " heartbeat in the control document",
            ("reason",),
            registry=registry,
        )
        self._lag_events = gauge(
            "orders_projector_lag_events",
            "Events of our streams in $all after the last applied one (at most 1000 counted)",
        )
        self._lag_seconds = gauge(
            "orders_projector_lag_seconds",
            "Age of the head of $all when the last applied event was written",
        )
        self._position = gauge(
            "orders_projector_commit_position", "Commit position of the last applied event"
        )
        self._batch_size = Histogram(
            "orders_projector_batch_size",
            "Events in one delivered batch",
            buckets=BATCH_SIZE_BUCKETS,
            registry=registry,
        )
        self._batch_seconds = Histogram(
            "orders_projector_batch_duration_seconds",
            "Time to handle one delivered batch: decode, write, acknowledge",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        for reason in KILL_REASONS:
            self._sessions_killed.labels(reason)
        for model in READ_MODELS:
            for metric in (self._applied, self._skipped, self._parked, self._retried):
                metric.labels(model)

    @contextlib.contextmanager
    def batch(self, events: Sequence[RecordedEvent]) -> Iterator[Sequence[RecordedEvent]]:
        self._batch_size.observe(len(events))
        retried = sum(1 for e in events if e.retry_count)
        if retried:
            for model in READ_MODELS:
                self._retried.labels(model).inc(retried)
        started = time.perf_counter()
        try:
            if self._tracer is None:
                yield events
            else:
                with self._tracer.start_as_current_span(
                    "projector batch",
                    kind=SpanKind.CONSUMER,
                    links=self._links(events),
                    attributes={"messaging.batch.message_count": len(events)},
                ):
                    yield events
        finally:
            self._batch_seconds.observe(time.perf_counter() - started)

    def counted(self, counts: Counts[str]) -> None:
        skipped = counts["duplicate"] + counts["unknown_type"] + counts["newer_schema"]
        for metric, value in (
            (self._applied, counts["applied"]),
            (self._skipped, skipped),
            (self._parked, counts["parked"]),
        ):
            if value:
                for model in READ_MODELS:
                    metric.labels(model).inc(value)
        for kind in ("write_conflict", "replanned"):
            self._contention.labels(kind).inc(counts[kind])

    def lagged(self, lag: Lag, position: int) -> None:
        for model in READ_MODELS:
            self._lag_events.labels(model).set(lag.lag_events)
            self._lag_seconds.labels(model).set(lag.lag_seconds)
            if position:
                self._position.labels(model).set(position)

    def sessions_killed(self, reason: str, count: int) -> None:
        self._sessions_killed.labels(reason).inc(count)

    def _links(self, events: Sequence[RecordedEvent]) -> list[Link]:
        """One link per command: its events share the span context."""
        contexts: dict[str, trace.SpanContext] = {}
        for event in events:
            try:
                traceparent = self._metadata.decode(event.metadata).traceparent
            except msgspec.DecodeError:
                continue  # not our metadata: nothing to link to
            if traceparent and traceparent not in contexts:
                context = span_context_of(traceparent)
                if context is not None:
                    contexts[traceparent] = context
        return [Link(context) for context in contexts.values()]
