"""Given events, expect documents: the pure projection, no I/O."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from orders_contracts.codec import EventMetadata, encode_event, encode_metadata
from orders_contracts.events import (
    CustomerRegistered,
    Event,
    OrderCancelled,
    OrderDelivered,
    OrderLine,
    OrderPlaced,
    OrderShipped,
    PaymentProcessed,
)
from orders_contracts.read_models import Money
from orders_contracts.streams import customer_stream, order_stream
from projector.batch_plan import fresh_events, missing_revisions
from projector.envelope import Envelope, open_envelope
from projector.memory_model import MemoryModel
from tests.projector.projector_history import generate

T0 = datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)


def stream_events(stream: str, events: Sequence[Event], start_position: int = 1) -> list[Envelope]:
    out = []
    for revision, event in enumerate(events):
        type_name, data = encode_event(event)
        out.append(
            open_envelope(
                stream_name=stream,
                revision=revision,
                commit_position=start_position + revision,
                event_id=uuid.uuid4(),
                event_type=type_name,
                data=data,
                metadata=b"",
            )
        )
    return out


def placed(order_id: str = "o1", customer_id: str = "c1") -> OrderPlaced:
    lines = (OrderLine("sku-1", 2, 1250), OrderLine("sku-2", 1, 500))
    return OrderPlaced(order_id, customer_id, "Ada", lines, "EUR", 3000, T0)


def test_placing_an_order_creates_its_summary_details_and_analytics() -> None:
    model = MemoryModel()
    model.apply(stream_events(order_stream("o1"), [placed()]))

    summary = model.summaries["o1"]
    assert summary.status == "PLACED"
    assert summary.total == Money(currency="EUR", amount_minor=3000)
    assert summary.item_count == 3
    assert summary.payment_status == "PENDING"
    assert summary.created_at == T0.replace(microsecond=123000)
    assert (summary.revision, summary.commit_position) == (0, 1)
    details = model.details["o1"]
    assert [line.line_total_minor for line in details.lines] == [2500, 500]
    assert [entry.event_type for entry in details.timeline] == ["OrderPlaced"]
    assert model.sales_by_status["PLACED|EUR"]["orders"] == 1
    assert model.sales_by_status["PAID|EUR"] == {
        "_id": "PAID|EUR",
        "status": "PAID",
        "currency": "EUR",
        "orders": 0,
        "revenue_minor": 0,
    }
    day = model.sales_by_day["2026-03-01|EUR"]
    assert (day["orders"], day["revenue_minor"], day["by_status"]["PLACED"]) == (1, 3000, 1)
    customer = model.customers["c1"]
    assert (customer.registered, customer.name, customer.order_count) == (False, "Ada", 1)
    assert customer.lifetime_value == {"EUR": 3000}


def test_a_delivered_order_shows_payment_shipping_and_its_whole_timeline() -> None:
    model = MemoryModel()
    model.apply(
        stream_events(
            order_stream("o1"),
            [
                placed(),
                PaymentProcessed("o1", "p1", 3000, "EUR", "card", T0 + timedelta(hours=1)),
                OrderShipped("o1", "DHL", "TRK1", T0 + timedelta(hours=2)),
                OrderDelivered("o1", T0 + timedelta(days=1)),
            ],
        )
    )
    details = model.details["o1"]
    assert details.status == "DELIVERED"
    assert details.payment is not None
    assert details.payment.method == "card"
    assert details.shipping is not None
    assert details.shipping.delivered_at == (T0 + timedelta(days=1)).replace(microsecond=123000)
    assert [e.revision for e in details.timeline] == [0, 1, 2, 3]
    assert model.summaries["o1"].payment_status == "PAID"
    assert model.sales_by_status["DELIVERED|EUR"]["orders"] == 1
    assert model.sales_by_status["PLACED|EUR"]["orders"] == 0


def test_cancelling_moves_the_order_out_of_revenue_and_lifetime_value() -> None:
    model = MemoryModel()
    model.apply(stream_events(order_stream("o1"), [placed()]))
    model.apply(
        stream_events(order_stream("o1"), [placed(), OrderCancelled("o1", "too slow", T0)])[1:]
    )
    day = model.sales_by_day["2026-03-01|EUR"]
    assert (day["orders"], day["revenue_minor"]) == (0, 0)
    assert (day["cancelled_orders"], day["cancelled_minor"]) == (1, 3000)
    assert model.sales_by_status["CANCELLED|EUR"]["revenue_minor"] == 3000
    customer = model.customers["c1"]
    assert customer.lifetime_value == {"EUR": 0}
    assert (customer.order_count, customer.cancelled_count) == (1, 1)
    assert model.details["o1"].cancellation_reason == "too slow"


def test_cancelling_a_paid_order_records_its_payment_as_refunded_and_an_unpaid_one_as_pending() -> (
    None
):
    model = MemoryModel()
    payment = PaymentProcessed("o1", "p1", 3000, "EUR", "card", T0 + timedelta(hours=1))
    later = T0 + timedelta(hours=2)
    model.apply(
        stream_events(
            order_stream("o1"), [placed("o1"), payment, OrderCancelled("o1", "no", later)]
        )
    )
    model.apply(
        stream_events(order_stream("o2"), [placed("o2"), OrderCancelled("o2", "no", later)])
    )

    assert model.summaries["o1"].payment_status == "REFUNDED"
    assert model.summaries["o2"].payment_status == "PENDING"


def test_a_registration_projected_after_the_orders_keeps_the_counters() -> None:
    model = MemoryModel()
    model.apply(stream_events(order_stream("o1"), [placed()]))
    model.apply(
        stream_events(
            customer_stream("c1"), [CustomerRegistered("c1", "Ada L.", "ada@example.com", T0)]
        )
    )
    customer = model.customers["c1"]
    assert (customer.registered, customer.name, customer.revision) == (True, "Ada L.", 0)
    assert (customer.order_count, customer.lifetime_value) == (1, {"EUR": 3000})


def test_duplicates_and_stale_events_are_dropped_and_gaps_are_named() -> None:
    events = stream_events(order_stream("o1"), [placed(), OrderCancelled("o1", "x", T0)])
    assert fresh_events(0, [events[1], events[0], events[1]]) == [events[1]]
    assert fresh_events(1, events) == []
    assert missing_revisions(-1, [events[1]]) == range(0, 2)
    assert missing_revisions(-1, events) is None


def test_unknown_types_and_newer_schemas_are_skipped_but_advance_the_revision() -> None:
    metadata = encode_metadata(EventMetadata("c", "c", "c", schema_version=99))
    _, data = encode_event(OrderCancelled("o1", "x", T0))
    unknown = open_envelope(
        stream_name="order-o1",
        revision=1,
        commit_position=2,
        event_id=uuid.uuid4(),
        event_type="OrderGiftWrapped",
        data=b"{}",
        metadata=b"",
    )
    newer = open_envelope(
        stream_name="order-o1",
        revision=2,
        commit_position=3,
        event_id=uuid.uuid4(),
        event_type="OrderCancelled",
        data=data,
        metadata=metadata,
    )
    assert (unknown.skip_reason, newer.skip_reason) == ("unknown_type", "newer_schema")
    model = MemoryModel()
    model.apply([*stream_events(order_stream("o1"), [placed()]), unknown, newer])
    assert model.summaries["o1"].revision == 2
    assert model.summaries["o1"].status == "PLACED"
    assert model.counts["unknown_type"] == model.counts["newer_schema"] == 1


def _envelopes(seed: int) -> list[Envelope]:
    revisions: dict[str, int] = {}
    out = []
    for position, recorded in enumerate(generate(seed, customers=12, orders=60), start=1):
        revision = revisions.get(recorded.stream, -1) + 1
        revisions[recorded.stream] = revision
        type_name, data = encode_event(recorded.event)
        out.append(
            open_envelope(
                stream_name=recorded.stream,
                revision=revision,
                commit_position=position,
                event_id=uuid.uuid4(),
                event_type=type_name,
                data=data,
                metadata=b"",
            )
        )
    return out


def test_how_a_history_is_cut_into_batches_does_not_change_any_document() -> None:
    envelopes = _envelopes(7)
    whole = MemoryModel()
    whole.apply(envelopes)
    rng = random.Random(7)
    one_by_one, ragged = MemoryModel(), MemoryModel()
    for envelope in envelopes:
        one_by_one.apply([envelope])
    start = 0
    while start < len(envelopes):
        size = rng.randint(1, 40)
        ragged.apply(envelopes[start : start + size])
        start += size
    for other in (one_by_one, ragged):
        assert other.summaries == whole.summaries
        assert other.details == whole.details
        assert other.customers == whole.customers
        assert other.sales_by_status == whole.sales_by_status
        assert other.sales_by_day == whole.sales_by_day
