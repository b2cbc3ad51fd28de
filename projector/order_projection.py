"""Order events folded into the order's summary and details documents (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, assert_never

from msgspec.structs import replace

from orders_contracts.events import (
    CustomerForgotten,
    CustomerRegistered,
    OrderCancelled,
    OrderDelivered,
    OrderPlaced,
    OrderShipped,
    PaymentProcessed,
)
from orders_contracts.money import format_amount
from orders_contracts.read_models import (
    Contribution,
    CustomerRef,
    Money,
    OrderDetailsDoc,
    OrderLine,
    OrderStatus,
    OrderSummaryDoc,
    Payment,
    PaymentStatus,
    Shipping,
    TimelineEntry,
    TimelineKind,
)
from projector.envelope import Envelope
from projector.timestamps import day_of, to_millis


class ProjectionError(ValueError):
    """The event cannot be applied to the documents as they are: a poison event."""


@dataclass(frozen=True, slots=True)
class OrderView:
    summary: OrderSummaryDoc
    details: OrderDetailsDoc


def contribution_of(summary: OrderSummaryDoc) -> Contribution:
    return Contribution(
        status=summary.status,
        day=day_of(summary.created_at),
        currency=summary.total.currency,
        amount_minor=summary.total.amount_minor,
        customer_id=summary.customer_id,
    )


def _placed(envelope: Envelope, event: OrderPlaced) -> OrderView:
    at = to_millis(event.placed_at)
    item_count = sum(line.quantity for line in event.lines)
    total = Money(currency=event.currency, amount_minor=event.total_minor)
    summary = OrderSummaryDoc(
        id=event.order_id,
        order_id=event.order_id,
        customer_id=event.customer_id,
        customer_name=event.customer_name,
        status="PLACED",
        total=total,
        item_count=item_count,
        line_count=len(event.lines),
        payment_status="PENDING",
        created_at=at,
        updated_at=at,
        revision=envelope.revision,
        commit_position=envelope.commit_position,
        contribution=Contribution(
            status="PLACED",
            day=day_of(at),
            currency=event.currency,
            amount_minor=event.total_minor,
            customer_id=event.customer_id,
        ),
    )
    details = OrderDetailsDoc(
        id=event.order_id,
        order_id=event.order_id,
        customer=CustomerRef(customer_id=event.customer_id, name=event.customer_name),
        status="PLACED",
        lines=[
            OrderLine(
                sku=line.sku,
                quantity=line.quantity,
                unit_price_minor=line.unit_price_minor,
                line_total_minor=line.quantity * line.unit_price_minor,
            )
            for line in event.lines
        ],
        total=total,
        payment=None,
        shipping=None,
        cancellation_reason=None,
        cancelled_at=None,
        timeline=[
            _entry(
                envelope,
                "OrderPlaced",
                at,
                f"placed {item_count} items, {format_amount(event.total_minor, event.currency)}",
            )
        ],
        created_at=at,
        updated_at=at,
        revision=envelope.revision,
        commit_position=envelope.commit_position,
    )
    return OrderView(summary, details)


def _entry(envelope: Envelope, kind: TimelineKind, at: datetime, text: str) -> TimelineEntry:
    return TimelineEntry(
        revision=envelope.revision,
        event_type=kind,
        at=at,
        summary=text,
        actor_subject=envelope.actor_subject,
        actor_client_id=envelope.actor_client_id,
    )


def _advance(
    view: OrderView,
    envelope: Envelope,
    *,
    status: OrderStatus | None = None,
    at: datetime | None = None,
    entry: TimelineEntry | None = None,
    payment_status: PaymentStatus | None = None,
    **details_changes: Any,
) -> OrderView:
    """Both documents at the envelope's revision, with the changes both share."""
    status = view.summary.status if status is None else status
    at = view.summary.updated_at if at is None else at
    summary = replace(
        view.summary,
        revision=envelope.revision,
        commit_position=envelope.commit_position,
        status=status,
        updated_at=at,
        payment_status=view.summary.payment_status if payment_status is None else payment_status,
    )
    summary = replace(summary, contribution=contribution_of(summary))
    timeline = view.details.timeline if entry is None else [*view.details.timeline, entry]
    details = replace(
        view.details,
        revision=envelope.revision,
        commit_position=envelope.commit_position,
        status=status,
        updated_at=at,
        timeline=timeline,
        **details_changes,
    )
    return OrderView(summary, details)


def apply_order_event(view: OrderView | None, envelope: Envelope) -> OrderView:
    """The order's documents after one more event; ``envelope.revision`` must be the next one."""
    event = envelope.event
    if view is None:
        if isinstance(event, OrderPlaced) and envelope.revision == 0:
            return _placed(envelope, event)
        raise ProjectionError(
            f"{envelope.stream_name}@{envelope.revision}: {envelope.event_type} before OrderPlaced"
        )
    if envelope.revision != view.summary.revision + 1:
        raise ProjectionError(
            f"{envelope.stream_name}: revision {envelope.revision} after {view.summary.revision}"
        )
    if event is None:
        return _advance(view, envelope)
    match event:
        case OrderPlaced() | CustomerRegistered() | CustomerForgotten():
            raise ProjectionError(
                f"{envelope.stream_name}@{envelope.revision}: unexpected {envelope.event_type}"
            )
        case PaymentProcessed():
            at = to_millis(event.processed_at)
            paid = format_amount(event.amount_minor, event.currency)
            return _advance(
                view,
                envelope,
                status="PAID",
                at=at,
                entry=_entry(envelope, "PaymentProcessed", at, f"paid {paid} by {event.method}"),
                payment_status="PAID",
                payment=Payment(
                    payment_id=event.payment_id,
                    amount=Money(currency=event.currency, amount_minor=event.amount_minor),
                    method=event.method,
                    processed_at=at,
                ),
            )
        case OrderShipped():
            at = to_millis(event.shipped_at)
            return _advance(
                view,
                envelope,
                status="SHIPPED",
                at=at,
                entry=_entry(
                    envelope,
                    "OrderShipped",
                    at,
                    f"shipped with {event.carrier}, tracking {event.tracking_number}",
                ),
                shipping=Shipping(
                    carrier=event.carrier,
                    tracking_number=event.tracking_number,
                    shipped_at=at,
                    delivered_at=None,
                ),
            )
        case OrderDelivered():
            at = to_millis(event.delivered_at)
            shipping = view.details.shipping
            return _advance(
                view,
                envelope,
                status="DELIVERED",
                at=at,
                entry=_entry(envelope, "OrderDelivered", at, "delivered"),
                shipping=None if shipping is None else replace(shipping, delivered_at=at),
            )
        case OrderCancelled():
            at = to_millis(event.cancelled_at)
            # Cancelling a paid order refunds its payment in full (PaymentStatus in types.proto).
            refunded = view.summary.payment_status == "PAID"
            return _advance(
                view,
                envelope,
                status="CANCELLED",
                at=at,
                entry=_entry(envelope, "OrderCancelled", at, f"cancelled: {event.reason}"),
                payment_status="REFUNDED" if refunded else None,
                cancellation_reason=event.reason,
                cancelled_at=at,
            )
        case _:
            assert_never(event)
