"""A batch of events and the current documents in, every document change out (pure)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from orders_contracts.events import OrderPlaced
from orders_contracts.read_models import CustomerDoc, OrderDetailsDoc, OrderSummaryDoc
from orders_contracts.streams import CUSTOMER_STREAM_PREFIX, ORDER_STREAM_PREFIX, id_from_stream
from projector.analytics import AnalyticsDeltas
from projector.customer_projection import (
    apply_customer_event,
    apply_order_transition,
    empty_customer,
)
from projector.envelope import Envelope
from projector.order_projection import OrderView, apply_order_event


@dataclass(frozen=True)
class Snapshot:
    """The documents of the batch's streams as they are now (absent ones are missing keys)."""

    summaries: Mapping[str, OrderSummaryDoc] = field(default_factory=dict)
    details: Mapping[str, OrderDetailsDoc] = field(default_factory=dict)
    customers: Mapping[str, CustomerDoc] = field(default_factory=dict)

    def revision(self, stream_name: str) -> int:
        """The revision the documents of a stream reflect, -1 for none yet."""
        aggregate_id = id_from_stream(stream_name)
        if stream_name.startswith(ORDER_STREAM_PREFIX):
            summary = self.summaries.get(aggregate_id)
            return -1 if summary is None else summary.revision
        customer = self.customers.get(aggregate_id)
        return -1 if customer is None else customer.revision


@dataclass
class BatchChanges:
    """New documents keyed by id, each with the revision it replaces (-1: insert)."""

    summaries: dict[str, tuple[int, OrderSummaryDoc]] = field(default_factory=dict)
    details: dict[str, tuple[int, OrderDetailsDoc]] = field(default_factory=dict)
    customers: dict[str, CustomerDoc] = field(default_factory=dict)
    analytics: AnalyticsDeltas = field(default_factory=AnalyticsDeltas)
    counts: Counter[str] = field(default_factory=Counter)
    last_commit_position: int = 0


def fresh_events(current_revision: int, delivered: Iterable[Envelope]) -> list[Envelope]:
    """The delivered events newer than the documents, once each, in revision order."""
    by_revision = {e.revision: e for e in delivered if e.revision > current_revision}
    return [by_revision[revision] for revision in sorted(by_revision)]


def missing_revisions(current_revision: int, fresh: Sequence[Envelope]) -> range | None:
    """The revisions to read from the stream itself before ``fresh`` can be applied."""
    if not fresh:
        return None
    last = fresh[-1].revision
    if len(fresh) == last - current_revision:
        return None
    return range(current_revision + 1, last + 1)


def customers_needed(snapshot: Snapshot, streams: Mapping[str, Sequence[Envelope]]) -> set[str]:
    """Customers whose documents the batch may change: to be loaded into the snapshot."""
    needed: set[str] = set()
    for stream_name, envelopes in streams.items():
        aggregate_id = id_from_stream(stream_name)
        if stream_name.startswith(CUSTOMER_STREAM_PREFIX):
            needed.add(aggregate_id)
            continue
        summary = snapshot.summaries.get(aggregate_id)
        if summary is not None:
            needed.add(summary.customer_id)
        for envelope in envelopes:
            if isinstance(envelope.event, OrderPlaced):
                needed.add(envelope.event.customer_id)
    return needed


def plan_batch(snapshot: Snapshot, streams: Mapping[str, Sequence[Envelope]]) -> BatchChanges:
    """Apply each stream's events (contiguous, starting right after its documents' revision)."""
    changes = BatchChanges()
    customers: dict[str, CustomerDoc] = {}

    def customer(customer_id: str) -> CustomerDoc:
        if customer_id not in customers:
            customers[customer_id] = snapshot.customers.get(customer_id) or empty_customer(
                customer_id
            )
        return customers[customer_id]

    for stream_name, envelopes in streams.items():
        if not envelopes:
            continue
        aggregate_id = id_from_stream(stream_name)
        changes.last_commit_position = max(
            changes.last_commit_position, *(e.commit_position for e in envelopes)
        )
        for envelope in envelopes:
            changes.counts[envelope.skip_reason or "applied"] += 1
        if stream_name.startswith(CUSTOMER_STREAM_PREFIX):
            doc = customer(aggregate_id)
            for envelope in envelopes:
                doc = apply_customer_event(doc, envelope, aggregate_id)
            customers[aggregate_id] = doc
            continue
        summary = snapshot.summaries.get(aggregate_id)
        details = snapshot.details.get(aggregate_id)
        view = None if summary is None or details is None else OrderView(summary, details)
        for envelope in envelopes:
            view = apply_order_event(view, envelope)
        assert view is not None
        before = -1 if summary is None else summary.revision
        changes.summaries[aggregate_id] = (before, view.summary)
        changes.details[aggregate_id] = (before, view.details)
        old = None if summary is None else summary.contribution
        new = view.summary.contribution
        if old != new:
            changes.analytics.add(old, new)
            customer_id = new.customer_id
            customers[customer_id] = apply_order_transition(
                customer(customer_id),
                order_id=aggregate_id,
                created_at=view.summary.created_at,
                customer_name=view.summary.customer_name,
                old=old,
                new=new,
            )
    changes.customers = {
        customer_id: doc
        for customer_id, doc in customers.items()
        if doc != snapshot.customers.get(customer_id)
    }
    return changes
