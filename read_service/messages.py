"""Translation between the query core's values and orders.v1 messages, both ways."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from google.protobuf.timestamp_pb2 import Timestamp

from orders.v1 import consistency_pb2, types_pb2, views_pb2
from orders_contracts import read_models as rm
from read_service.consistency import ConsistencyToken, ReadConsistency
from read_service.queries.analytics import CurrencySales, SalesTotals
from read_service.queries.context import Freshness
from read_service.queries.orders import OrderDetailsView
from read_service.queries.stats import StatsRow

_STATUS_PREFIX: Final = "ORDER_STATUS_"
_STATUS: Final[dict[rm.OrderStatus, types_pb2.OrderStatus.ValueType]] = {
    status: types_pb2.OrderStatus.Value(_STATUS_PREFIX + status) for status in rm.ORDER_STATUSES
}
_PAYMENT_STATUS: Final[dict[rm.PaymentStatus, types_pb2.PaymentStatus.ValueType]] = {
    "PENDING": types_pb2.PAYMENT_STATUS_UNPAID,
    "PAID": types_pb2.PAYMENT_STATUS_PAID,
    "REFUNDED": types_pb2.PAYMENT_STATUS_REFUNDED,
}
# The status an order is in right after each event of its stream.
_STATUS_AFTER: Final[dict[rm.TimelineKind, rm.OrderStatus]] = {
    "OrderPlaced": "PLACED",
    "PaymentProcessed": "PAID",
    "OrderShipped": "SHIPPED",
    "OrderDelivered": "DELIVERED",
    "OrderCancelled": "CANCELLED",
}


# --- requests -----------------------------------------------------------------------------------


def read_consistency(message: consistency_pb2.ReadConsistency) -> ReadConsistency:
    allow_stale = message.policy == consistency_pb2.STALENESS_POLICY_ALLOW_STALE
    if not message.HasField("min_token"):
        return ReadConsistency(token=None, allow_stale=allow_stale)
    token = message.min_token
    return ReadConsistency(
        token=ConsistencyToken(token.stream, token.revision, token.commit_position),
        allow_stale=allow_stale,
    )


def status_names(statuses: Any) -> list[str]:
    """Enum numbers as the read models' status names; unknown numbers stay recognisably bad."""
    names = []
    for number in statuses:
        name = types_pb2.OrderStatus.Name(number) if number in _KNOWN_STATUSES else str(number)
        names.append(name.removeprefix(_STATUS_PREFIX))
    return names


_KNOWN_STATUSES: Final = frozenset(types_pb2.OrderStatus.values())


def optional_time(message: Any, field: str) -> datetime | None:
    if not message.HasField(field):
        return None
    stamp: Timestamp = getattr(message, field)
    return stamp.ToDatetime(tzinfo=UTC)


def optional_date(message: Any, field: str) -> tuple[int, int, int] | None:
    if not message.HasField(field):
        return None
    value: types_pb2.Date = getattr(message, field)
    return (value.year, value.month, value.day)


# --- responses ----------------------------------------------------------------------------------


def read_metadata(freshness: Freshness) -> consistency_pb2.ReadMetadata:
    metadata = consistency_pb2.ReadMetadata(
        stale=freshness.stale, projected_commit_position=max(0, freshness.commit_position)
    )
    if freshness.stream_revision is not None and freshness.stream_revision >= 0:
        metadata.projected_stream_revision = freshness.stream_revision
    if freshness.projected_at is not None:
        metadata.projected_at.CopyFrom(_timestamp(freshness.projected_at))
    return metadata


def order_summary(summary: rm.OrderSummaryDoc) -> views_pb2.OrderSummary:
    return views_pb2.OrderSummary(
        order_id=summary.id,
        customer_id=summary.customer_id,
        customer_name=summary.customer_name,
        status=_STATUS[summary.status],
        total=_money(summary.total.currency, summary.total.amount_minor),
        item_count=summary.item_count,
        line_count=summary.line_count,
        payment_status=_PAYMENT_STATUS[summary.payment_status],
        created_at=_timestamp(summary.created_at),
        updated_at=_timestamp(summary.updated_at),
    )


def order_details(view: OrderDetailsView) -> views_pb2.OrderDetails:
    doc = view.details
    currency = doc.total.currency
    details = views_pb2.OrderDetails(
        summary=order_summary(view.summary),
        lines=[
            types_pb2.OrderLine(
                sku=line.sku,
                quantity=line.quantity,
                unit_price=_money(currency, line.unit_price_minor),
            )
            for line in doc.lines
        ],
        customer=views_pb2.OrderCustomer(
            customer_id=doc.customer.customer_id,
            name=doc.customer.name,
            email=view.customer_email or "",
        ),
        timeline=[
            views_pb2.TimelineEntry(
                event_type=entry.event_type,
                description=entry.summary,
                occurred_at=_timestamp(entry.at),
                revision=entry.revision,
                status=_STATUS[_STATUS_AFTER[entry.event_type]],
                actor=views_pb2.Actor(subject=entry.actor_subject, client_id=entry.actor_client_id)
                if entry.actor_subject
                else None,
            )
            for entry in doc.timeline
        ],
    )
    if (payment := doc.payment) is not None:
        details.payment.CopyFrom(
            views_pb2.Payment(
                payment_id=payment.payment_id,
                amount=_money(payment.amount.currency, payment.amount.amount_minor),
                method=payment.method,
                processed_at=_timestamp(payment.processed_at),
            )
        )
    if (shipping := doc.shipping) is not None:
        details.shipping.CopyFrom(
            views_pb2.Shipping(
                carrier=shipping.carrier,
                tracking_number=shipping.tracking_number,
                shipped_at=_timestamp(shipping.shipped_at),
            )
        )
        if shipping.delivered_at is not None:
            details.shipping.delivered_at.CopyFrom(_timestamp(shipping.delivered_at))
    if doc.status == "CANCELLED":
        details.cancellation.reason = doc.cancellation_reason or ""
        if doc.cancelled_at is not None:
            details.cancellation.cancelled_at.CopyFrom(_timestamp(doc.cancelled_at))
    return details


def customer(doc: rm.CustomerDoc) -> views_pb2.Customer:
    message = views_pb2.Customer(
        customer_id=doc.id,
        name=doc.name,
        email=doc.email or "",
        order_count=doc.order_count,
        lifetime_value=[
            _money(currency, amount) for currency, amount in sorted(doc.lifetime_value.items())
        ],
    )
    if doc.registered_at is not None:
        message.registered_at.CopyFrom(_timestamp(doc.registered_at))
    if doc.last_order_at is not None:
        message.last_order_at.CopyFrom(_timestamp(doc.last_order_at))
    return message


def stats_row(row: StatsRow) -> views_pb2.OrderStatsRow:
    return views_pb2.OrderStatsRow(
        status=_status(row.status),
        order_count=row.order_count,
        total=_money(row.currency, row.total_minor),
    )


def currency_sales(sales: CurrencySales) -> views_pb2.CurrencySales:
    return views_pb2.CurrencySales(
        currency_code=sales.currency,
        totals=_totals(sales.currency, sales.totals),
        daily=[
            views_pb2.DailySales(
                date=types_pb2.Date(year=entry.day.year, month=entry.day.month, day=entry.day.day),
                totals=_totals(sales.currency, entry.totals),
            )
            for entry in sales.daily
        ],
    )


def _totals(currency: str, totals: SalesTotals) -> views_pb2.SalesTotals:
    return views_pb2.SalesTotals(
        order_count=totals.order_count,
        revenue=_money(currency, totals.revenue_minor),
        average_order_value=_money(currency, totals.average_order_value_minor),
        cancelled_order_count=totals.cancelled_order_count,
    )


def _status(name: str) -> types_pb2.OrderStatus.ValueType:
    return types_pb2.OrderStatus.Value(_STATUS_PREFIX + name)


_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1


def _money(currency: str, amount_minor: int) -> types_pb2.Money:
    # A sum past int64 saturates amount_minor (types.proto); the digits are always exact.
    return types_pb2.Money(
        currency_code=currency,
        amount_minor=max(_INT64_MIN, min(amount_minor, _INT64_MAX)),
        amount_minor_decimal=str(amount_minor),
    )


def _timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    # pymongo hands back naive UTC datetimes; FromDatetime reads naive values as UTC.
    stamp.FromDatetime(moment)
    return stamp
