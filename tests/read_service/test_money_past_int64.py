"""Sums past 2^63, end to end: the largest orders the write service allows, repeated for one
customer on one day, through the projector into SecantusDB and back out of the QueryService.

Before sums were Decimal128, the 923rd such order overflowed the read models' int64 counters
and the projector retried that batch forever. (Cancelled sums past 2^63 and read models
written before Decimal128: test_money_sums_in_the_read_models.py, without the write service.)
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from bson.decimal128 import Decimal128

from orders.v1 import command_service_pb2 as cmd
from orders.v1 import query_service_pb2 as pb
from orders.v1 import types_pb2
from orders_contracts.read_models import CUSTOMERS, SALES_BY_DAY, SALES_BY_STATUS, collection_name
from projector.versions import active_version
from tests.read_service.full_stack import Stack, key, money, register, running_stack
from tests.waiting import read_until
from write_service.validation import MAX_LINES, MAX_QUANTITY, MAX_UNIT_PRICE_MINOR

INT64_MAX = 2**63 - 1
ORDER_TOTAL = MAX_LINES * MAX_QUANTITY * MAX_UNIT_PRICE_MINOR
ORDERS = 930
EXPECTED = ORDERS * ORDER_TOTAL  # 9.3 * 10^18 > 2^63 - 1 ~ 9.22 * 10^18
LARGEST_LINES = [
    types_pb2.OrderLine(
        sku=f"SKU-{n}", quantity=MAX_QUANTITY, unit_price=money(MAX_UNIT_PRICE_MINOR, "EUR")
    )
    for n in range(MAX_LINES)
]


def _date(moment: datetime) -> types_pb2.Date:
    return types_pb2.Date(year=moment.year, month=moment.month, day=moment.day)


def _exact(amount: types_pb2.Money) -> tuple[str, int, str]:
    return (amount.currency_code, amount.amount_minor, amount.amount_minor_decimal)


async def _place_largest_orders(stack: Stack, order_ids: list[str], at_once: int = 16) -> None:
    limit = asyncio.Semaphore(at_once)

    async def place(order_id: str) -> None:
        async with limit:
            placed = await stack.commands.PlaceOrder(
                cmd.PlaceOrderRequest(
                    idempotency_key=key(),
                    order_id=order_id,
                    customer_id="c-big",
                    lines=LARGEST_LINES,
                )
            )
        assert placed.total.amount_minor == ORDER_TOTAL

    await asyncio.gather(*(place(order_id) for order_id in order_ids))


async def _projected(stack: Stack) -> pb.GetOrderStatsResponse:
    """The customer's stats once every order is in the read models (polled; the deadline only
    keeps a stuck projector from hanging the run)."""
    return await read_until(
        lambda: stack.reads.stub.GetOrderStats(pb.GetOrderStatsRequest(customer_id="c-big")),
        lambda stats: (
            {row.status: row.order_count for row in stats.rows}
            == {types_pb2.ORDER_STATUS_PLACED: ORDERS}
        ),
        f"all {ORDERS} orders projected",
        patience=300,
    )


async def _stored(stack: Stack, base: str, doc_id: str) -> dict[str, Any]:
    db = stack.reads.client[stack.reads.database]
    found = await db[collection_name(base, await active_version(db))].find_one({"_id": doc_id})
    assert found is not None, doc_id
    return found


async def test_a_customer_and_analytics_past_int64_read_back_exactly_through_the_api(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    async with running_stack(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stack:
        await register(stack, "c-big", "Grace")
        first_day = datetime.now(UTC)
        order_ids = [f"o-big-{n:04d}" for n in range(ORDERS)]
        await _place_largest_orders(stack, order_ids)
        last_day = datetime.now(UTC)

        stats = await _projected(stack)
        customer = await stack.reads.stub.GetCustomer(pb.GetCustomerRequest(customer_id="c-big"))
        sales = await stack.reads.stub.GetSalesAnalytics(
            pb.GetSalesAnalyticsRequest(
                start_date=_date(first_day - timedelta(days=1)),
                end_date=_date(last_day + timedelta(days=1)),
                currency_code="EUR",
            )
        )
        by_status = {
            status: await _stored(stack, SALES_BY_STATUS, f"{status}|EUR")
            for status in ("PLACED", "PAID")
        }
        by_day = await _stored(stack, SALES_BY_DAY, f"{first_day.date().isoformat()}|EUR")
        stored_customer = await _stored(stack, CUSTOMERS, "c-big")

    assert EXPECTED > INT64_MAX
    saturated = ("EUR", INT64_MAX, str(EXPECTED))
    assert [_exact(m) for m in customer.customer.lifetime_value] == [saturated]
    assert customer.customer.order_count == ORDERS
    assert [(row.status, _exact(row.total)) for row in stats.rows] == [
        (types_pb2.ORDER_STATUS_PLACED, saturated)
    ]

    [eur] = sales.currencies
    assert (eur.totals.order_count, eur.totals.cancelled_order_count) == (ORDERS, 0)
    assert _exact(eur.totals.revenue) == saturated
    # The mean of orders that each total 10^16 is 10^16, which fits: both fields agree.
    assert _exact(eur.totals.average_order_value) == ("EUR", ORDER_TOTAL, str(ORDER_TOTAL))
    daily_revenue = sum(int(d.totals.revenue.amount_minor_decimal) for d in eur.daily)
    assert daily_revenue == EXPECTED
    if first_day.date() == last_day.date():
        # Every order was placed on one UTC day, so one daily bucket holds them all.
        [busy] = [d for d in eur.daily if d.totals.order_count]
        assert _exact(busy.totals.revenue) == saturated

    # Stored as Decimal128: exact digits, not int64 and not a double.
    assert by_status["PLACED"]["revenue_minor"] == Decimal128(str(EXPECTED))
    assert by_status["PAID"]["revenue_minor"] == Decimal128("0")
    if first_day.date() == last_day.date():
        assert by_day["revenue_minor"] == Decimal128(str(EXPECTED))
        assert by_day["cancelled_minor"] == Decimal128("0")
    assert stored_customer["lifetime_value"] == {"EUR": Decimal128(str(EXPECTED))}
