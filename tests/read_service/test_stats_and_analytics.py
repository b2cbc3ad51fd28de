"""GetOrderStats and GetSalesAnalytics match totals the test computes from the same events."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from orders.v1 import query_service_pb2 as pb
from orders.v1 import types_pb2
from orders_contracts.events import OrderPlaced
from tests.read_service.order_history import (
    START,
    History,
    final_status,
    random_lifecycles,
    timestamp,
)
from tests.read_service.read_harness import ReadService


def totals_by_order(history: History) -> dict[str, tuple[str, str, int, datetime]]:
    """order id -> (customer, currency, total, created_at), from the OrderPlaced events."""
    return {
        e.order_id: (e.customer_id, e.currency, e.total_minor, e.placed_at)
        for e in history.events()
        if isinstance(e, OrderPlaced)
    }


def status_name(number: types_pb2.OrderStatus.ValueType) -> str:
    return types_pb2.OrderStatus.Name(number).removeprefix("ORDER_STATUS_")


async def test_order_stats_per_status_and_currency_match_the_events_for_a_customer(
    read_service: ReadService,
) -> None:
    history = read_service.history
    history.register("c-1", "Ada")
    random_lifecycles(history, ["c-1", "c-2"], orders=80, seed=11)
    await read_service.project_pending()
    after, before = START + timedelta(days=1), START + timedelta(days=4)
    wanted = {"PLACED", "PAID", "CANCELLED", "DELIVERED"}
    counts: Counter[tuple[str, str]] = Counter()
    amounts: Counter[tuple[str, str]] = Counter()
    orders = totals_by_order(history)
    for order_id, (status, created) in final_status(history).items():
        customer_id, currency, total, _ = orders[order_id]
        if customer_id == "c-1" and status in wanted and after <= created < before:
            counts[status, currency] += 1
            amounts[status, currency] += total

    response = await read_service.stub.GetOrderStats(
        pb.GetOrderStatsRequest(
            customer_id="c-1",
            statuses=[types_pb2.OrderStatus.Value(f"ORDER_STATUS_{s}") for s in sorted(wanted)],
            created_after=timestamp(after),
            created_before=timestamp(before),
        )
    )

    rows = {
        (status_name(row.status), row.total.currency_code): (
            row.order_count,
            row.total.amount_minor,
        )
        for row in response.rows
    }
    assert len(counts) >= 3, "the generated history must cover several statuses"
    assert rows == {key: (counts[key], amounts[key]) for key in counts}
    assert [row.status for row in response.rows] == sorted(row.status for row in response.rows)
    assert response.customer.customer_id == "c-1"
    assert response.customer.name == "Ada"


async def test_order_stats_without_a_customer_cover_every_order(read_service: ReadService) -> None:
    history = read_service.history
    random_lifecycles(history, ["c-1", "c-2", "c-3"], orders=60, seed=12)
    await read_service.project_pending()

    response = await read_service.stub.GetOrderStats(pb.GetOrderStatsRequest())

    assert sum(row.order_count for row in response.rows) == 60
    assert sum(row.total.amount_minor for row in response.rows) == sum(
        total for _, _, total, _ in totals_by_order(history).values()
    )
    assert not response.HasField("customer")


async def test_sales_analytics_match_daily_totals_computed_from_the_events(
    read_service: ReadService,
) -> None:
    history = read_service.history
    random_lifecycles(history, ["c-1", "c-2", "c-3"], orders=120, seed=13, days=5)
    await read_service.project_pending()
    first, last = START.date() + timedelta(days=1), START.date() + timedelta(days=7)
    counted: Counter[tuple[str, date]] = Counter()
    revenue: Counter[tuple[str, date]] = Counter()
    cancelled: Counter[tuple[str, date]] = Counter()
    orders = totals_by_order(history)
    for order_id, (status, created) in final_status(history).items():
        _, currency, total, _ = orders[order_id]
        day = created.date()
        if not first <= day <= last:
            continue
        if status == "CANCELLED":
            cancelled[currency, day] += 1
        else:
            counted[currency, day] += 1
            revenue[currency, day] += total

    response = await read_service.stub.GetSalesAnalytics(
        pb.GetSalesAnalyticsRequest(
            start_date=types_pb2.Date(year=first.year, month=first.month, day=first.day),
            end_date=types_pb2.Date(year=last.year, month=last.month, day=last.day),
        )
    )

    assert [c.currency_code for c in response.currencies] == ["EUR", "USD"]
    for sales in response.currencies:
        currency = sales.currency_code
        days = [date(d.date.year, d.date.month, d.date.day) for d in sales.daily]
        assert days == [first + timedelta(days=n) for n in range((last - first).days + 1)]
        for entry, day in zip(sales.daily, days, strict=True):
            assert entry.totals.order_count == counted[currency, day]
            assert entry.totals.revenue.amount_minor == revenue[currency, day]
            assert entry.totals.cancelled_order_count == cancelled[currency, day]
        total_orders = sum(n for (c, _), n in counted.items() if c == currency)
        total_revenue = sum(n for (c, _), n in revenue.items() if c == currency)
        assert sales.totals.order_count == total_orders
        assert sales.totals.revenue.amount_minor == total_revenue
        assert sales.totals.average_order_value.amount_minor == total_revenue // total_orders
        assert sales.totals.cancelled_order_count == sum(
            n for (c, _), n in cancelled.items() if c == currency
        )
    # Days 6 and 7 have no orders: they are present, with zeros.
    assert response.currencies[0].daily[-1].totals.order_count == 0


async def test_sales_analytics_for_one_currency_leave_the_others_out(
    read_service: ReadService,
) -> None:
    random_lifecycles(read_service.history, ["c-1"], orders=30, seed=14, days=2)
    await read_service.project_pending()
    day = types_pb2.Date(year=START.year, month=START.month, day=START.day)

    response = await read_service.stub.GetSalesAnalytics(
        pb.GetSalesAnalyticsRequest(
            start_date=day,
            end_date=types_pb2.Date(year=START.year, month=START.month, day=START.day + 1),
            currency_code="USD",
        )
    )

    assert [c.currency_code for c in response.currencies] == ["USD"]
    assert len(response.currencies[0].daily) == 2
