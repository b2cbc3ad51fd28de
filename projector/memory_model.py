"""Every read model held in memory, folded with the same plan as the live projector.

The rebuild replays $all through this and writes each final document once, which is what makes
it fast: no per-event round trip, no conditional write.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from orders_contracts.read_models import CustomerDoc, OrderDetailsDoc, OrderSummaryDoc
from projector.analytics import AnalyticsDeltas
from projector.batch_plan import Snapshot, plan_batch
from projector.envelope import Envelope

log = structlog.get_logger("projector.rebuild")


def _add_counters(docs: dict[str, dict[str, Any]], deltas: AnalyticsDeltas, by_day: bool) -> None:
    counters, keys = (
        (deltas.by_day, deltas.by_day_keys) if by_day else (deltas.by_status, deltas.by_status_keys)
    )
    for doc_id, increments in counters.items():
        doc = docs.setdefault(doc_id, {"_id": doc_id, **keys[doc_id]})
        for path, value in increments.items():
            head, _, leaf = path.partition(".")
            if leaf:
                nested = doc.setdefault(head, {})
                nested[leaf] = nested.get(leaf, 0) + value
            else:
                doc[head] = doc.get(head, 0) + value


@dataclass
class MemoryModel:
    summaries: dict[str, OrderSummaryDoc] = field(default_factory=dict)
    details: dict[str, OrderDetailsDoc] = field(default_factory=dict)
    customers: dict[str, CustomerDoc] = field(default_factory=dict)
    sales_by_status: dict[str, dict[str, Any]] = field(default_factory=dict)
    sales_by_day: dict[str, dict[str, Any]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    broken_streams: set[str] = field(default_factory=set)
    last_commit_position: int = 0
    touched: set[str] = field(default_factory=set)
    """Orders changed since the caller last took this set (take_touched)."""
    stored: dict[str, int] = field(default_factory=dict)
    """Orders already written to the store during the replay, at the revision written."""

    def take_touched(self) -> set[str]:
        touched, self.touched = self.touched, set()
        return touched

    def apply(self, envelopes: Sequence[Envelope]) -> None:
        """Apply events in $all order; a stream whose event cannot be applied stops there,
        as it does live where that event is parked."""
        by_stream: dict[str, list[Envelope]] = defaultdict(list)
        for envelope in envelopes:
            if envelope.stream_name not in self.broken_streams:
                by_stream[envelope.stream_name].append(envelope)
        try:
            self._apply(by_stream)
        except Exception:
            for stream_name, stream_envelopes in by_stream.items():
                try:
                    self._apply({stream_name: stream_envelopes})
                except Exception as error:
                    self.broken_streams.add(stream_name)
                    self.counts["parked"] += 1
                    log.error("stream not projected", stream=stream_name, error=repr(error))
        if envelopes:
            self.last_commit_position = max(
                self.last_commit_position, max(e.commit_position for e in envelopes)
            )

    def _apply(self, streams: dict[str, list[Envelope]]) -> None:
        changes = plan_batch(Snapshot(self.summaries, self.details, self.customers), streams)
        for order_id, (_, summary) in changes.summaries.items():
            self.summaries[order_id] = summary
            self.touched.add(order_id)
        for order_id, (_, details) in changes.details.items():
            self.details[order_id] = details
        self.customers.update(changes.customers)
        _add_counters(self.sales_by_status, changes.analytics, by_day=False)
        _add_counters(self.sales_by_day, changes.analytics, by_day=True)
        self.counts += changes.counts
