"""Rich tables of the services' messages, for people (scripts use --json)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC

from google.protobuf import timestamp_pb2
from rich.table import Table
from rich.text import Text

from orders.v1 import consistency_pb2, types_pb2, views_pb2
from orders_cli.argument_types import format_token
from orders_cli.money import format_amounts, format_money

_STATUS_STYLE = {
    "placed": "yellow",
    "paid": "cyan",
    "shipped": "blue",
    "delivered": "green",
    "cancelled": "red",
}


def status_text(status: types_pb2.OrderStatus.ValueType) -> Text:
    name = types_pb2.OrderStatus.Name(status).removeprefix("ORDER_STATUS_").lower()
    return Text(name, style=_STATUS_STYLE.get(name, ""))


def payment_text(status: types_pb2.PaymentStatus.ValueType) -> str:
    return types_pb2.PaymentStatus.Name(status).removeprefix("PAYMENT_STATUS_").lower()


def when(timestamp: timestamp_pb2.Timestamp, is_set: bool = True) -> str:
    if not is_set:
        return "-"
    return timestamp.ToDatetime(tzinfo=UTC).strftime("%Y-%m-%d %H:%M:%S")


def _pairs(title: str, rows: Iterable[tuple[str, str | Text]]) -> Table:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for key, value in rows:
        table.add_row(key, value)
    return table


def order_summary(order: views_pb2.OrderSummary) -> Table:
    return _pairs(
        f"order {order.order_id}",
        [
            ("status", status_text(order.status)),
            ("customer", f"{order.customer_name} ({order.customer_id})"),
            ("total", format_money(order.total)),
            ("items", _items(order)),
            ("payment", payment_text(order.payment_status)),
            ("placed", when(order.created_at)),
            ("updated", when(order.updated_at)),
        ],
    )


def _items(order: views_pb2.OrderSummary) -> str:
    lines = f" in {order.line_count} lines" if order.line_count > 1 else ""
    return f"{order.item_count}{lines}"


def order_details(order: views_pb2.OrderDetails) -> list[Table]:
    lines = Table(title="lines", title_justify="left")
    for column in ("sku", "quantity", "unit price", "line total"):
        lines.add_column(column, justify="left" if column == "sku" else "right")
    for line in order.lines:
        line_total = types_pb2.Money(
            currency_code=line.unit_price.currency_code,
            amount_minor=line.unit_price.amount_minor * line.quantity,
        )
        lines.add_row(
            line.sku, str(line.quantity), format_money(line.unit_price), format_money(line_total)
        )
    timeline = Table(title="timeline", title_justify="left")
    for column in ("#", "when", "event", "status", "what happened"):
        timeline.add_column(column)
    for entry in order.timeline:
        timeline.add_row(
            str(entry.revision),
            when(entry.occurred_at),
            entry.event_type,
            status_text(entry.status),
            entry.description,
        )
    return [order_summary(order.summary), lines, timeline]


def orders(summaries: Iterable[views_pb2.OrderSummary], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("order", overflow="fold")
    for column in ("customer", "status", "total", "items", "payment", "placed"):
        table.add_column(column, justify="right" if column in ("total", "items") else "left")
    for order in summaries:
        table.add_row(
            order.order_id,
            order.customer_name,
            status_text(order.status),
            format_money(order.total),
            str(order.item_count),
            payment_text(order.payment_status),
            when(order.created_at),
        )
    return table


def customer(profile: views_pb2.Customer) -> Table:
    return _pairs(
        f"customer {profile.customer_id}",
        [
            ("name", profile.name),
            ("email", profile.email),
            ("registered", when(profile.registered_at, profile.HasField("registered_at"))),
            ("orders", str(profile.order_count)),
            ("lifetime value", format_amounts(profile.lifetime_value)),
            ("last order", when(profile.last_order_at, profile.HasField("last_order_at"))),
        ],
    )


def stats(rows: Iterable[views_pb2.OrderStatsRow]) -> Table:
    table = Table(title="orders by status", title_justify="left")
    table.add_column("status")
    table.add_column("orders", justify="right")
    table.add_column("total", justify="right")
    for row in rows:
        table.add_row(status_text(row.status), str(row.order_count), format_money(row.total))
    return table


def _day(day: types_pb2.Date) -> str:
    return f"{day.year:04d}-{day.month:02d}-{day.day:02d}"


def sales(currency: views_pb2.CurrencySales, all_days: bool) -> Table:
    table = Table(title=f"sales in {currency.currency_code}", title_justify="left")
    for column in ("day", "orders", "revenue", "average order", "cancelled"):
        table.add_column(column, justify="left" if column == "day" else "right")
    for daily in currency.daily:
        if all_days or daily.totals.order_count or daily.totals.cancelled_order_count:
            table.add_row(_day(daily.date), *_totals(daily.totals))
    table.add_section()
    table.add_row(Text("total", style="bold"), *_totals(currency.totals))
    return table


def _totals(totals: views_pb2.SalesTotals) -> tuple[str, str, str, str]:
    return (
        str(totals.order_count),
        format_money(totals.revenue),
        format_money(totals.average_order_value),
        str(totals.cancelled_order_count),
    )


def freshness(metadata: consistency_pb2.ReadMetadata) -> Text:
    revision = (
        f", stream revision {metadata.projected_stream_revision}"
        if metadata.HasField("projected_stream_revision")
        else ""
    )
    where = f"read side at commit position {metadata.projected_commit_position}{revision}"
    if metadata.stale:
        return Text(f"STALE: may miss your write ({where})", style="bold yellow")
    return Text(where, style="dim")


def token_line(token: consistency_pb2.ConsistencyToken) -> Text:
    return Text(f"consistency token: {format_token(token)}", style="dim")
