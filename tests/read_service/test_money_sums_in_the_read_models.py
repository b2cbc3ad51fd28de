"""Money sums in the read models as the projector's batch writer stores them in SecantusDB and
the QueryService reads them: cancelled sums past 2^63, read models written before sums were
Decimal128, and orders whose total is 0."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bson.decimal128 import Decimal128
from bson.int64 import Int64

from orders.v1 import query_service_pb2 as pb
from orders.v1 import types_pb2, views_pb2
from orders_contracts.events import OrderLine
from orders_contracts.read_models import CUSTOMERS, SALES_BY_DAY, SALES_BY_STATUS, collection_name
from orders_contracts.stored_sums import SUM_FIELDS
from projector.versions import Database, active_version
from tests.read_service.order_history import START
from tests.read_service.read_harness import ReadService
from write_service.validation import MAX_LINES, MAX_QUANTITY, MAX_UNIT_PRICE_MINOR

INT64_MAX = 2**63 - 1
ORDER_TOTAL = MAX_LINES * MAX_QUANTITY * MAX_UNIT_PRICE_MINOR
LARGEST = tuple(OrderLine(f"SKU-{n}", MAX_QUANTITY, MAX_UNIT_PRICE_MINOR) for n in range(MAX_LINES))
DAY = types_pb2.Date(year=START.year, month=START.month, day=START.day)
BATCH = 500  # the projector's default batch size


async def _project_in_batches(service: ReadService) -> None:
    pending = service.history.take_unprojected()
    for start in range(0, len(pending), BATCH):
        service.history.unprojected = pending[start : start + BATCH]
        await service.project_pending()


async def _db(service: ReadService) -> tuple[Database, int]:
    db = service.client[service.database]
    return db, await active_version(db)


async def _stored(service: ReadService, base: str, doc_id: str) -> dict[str, Any]:
    db, version = await _db(service)
    found = await db[collection_name(base, version)].find_one({"_id": doc_id})
    assert found is not None, doc_id
    return found


def _exact(amount: types_pb2.Money) -> tuple[str, int, str]:
    return (amount.currency_code, amount.amount_minor, amount.amount_minor_decimal)


async def _sales(service: ReadService) -> views_pb2.SalesTotals:
    response = await service.stub.GetSalesAnalytics(
        pb.GetSalesAnalyticsRequest(start_date=DAY, end_date=DAY)
    )
    [currency] = response.currencies
    return currency.totals


async def test_cancelled_sums_past_int64_are_stored_and_answered_exactly(
    read_service: ReadService,
) -> None:
    history = read_service.history
    history.register("c-1", "Ada")
    orders = 930  # 930 * 10^16 > 2^63 - 1
    for n in range(orders):
        order_id = f"o-{n:04d}"
        placed = START + timedelta(seconds=n)
        history.place(order_id, "c-1", placed, lines=LARGEST)
        if n % 2:
            history.pay(order_id, ORDER_TOTAL, "EUR", placed + timedelta(minutes=1))
        history.cancel(order_id, placed + timedelta(minutes=2))
    await _project_in_batches(read_service)
    expected = orders * ORDER_TOTAL

    stats = await read_service.stub.GetOrderStats(pb.GetOrderStatsRequest(customer_id="c-1"))
    totals = await _sales(read_service)
    by_status = await _stored(read_service, SALES_BY_STATUS, "CANCELLED|EUR")
    by_day = await _stored(read_service, SALES_BY_DAY, f"{START.date().isoformat()}|EUR")

    assert [(row.status, row.order_count, _exact(row.total)) for row in stats.rows] == [
        (types_pb2.ORDER_STATUS_CANCELLED, orders, ("EUR", INT64_MAX, str(expected)))
    ]
    # Every order was cancelled: the customer's lifetime value is 0, and says so.
    assert [_exact(m) for m in stats.customer.lifetime_value] == [("EUR", 0, "0")]
    assert (totals.order_count, totals.cancelled_order_count) == (0, orders)
    assert _exact(totals.revenue) == _exact(totals.average_order_value) == ("EUR", 0, "0")
    assert by_status["revenue_minor"] == Decimal128(str(expected))
    assert by_day["cancelled_minor"] == Decimal128(str(expected))
    assert by_day["revenue_minor"] == Decimal128("0")


async def _as_before_decimal_sums(service: ReadService) -> None:
    """Turn the stored sums back into int64, as the projector wrote them before Decimal128."""
    db, version = await _db(service)
    for base, fields in SUM_FIELDS.items():
        collection = db[collection_name(base, version)]
        async for doc in collection.find({}):
            legacy = {field: Int64(int(doc[field].to_decimal())) for field in fields}
            await collection.update_one({"_id": doc["_id"]}, {"$set": legacy})
    customers = db[collection_name(CUSTOMERS, version)]
    async for doc in customers.find({}):
        lifetime = {c: Int64(int(v.to_decimal())) for c, v in doc["lifetime_value"].items()}
        await customers.update_one({"_id": doc["_id"]}, {"$set": {"lifetime_value": lifetime}})


async def test_a_read_model_with_int64_sums_is_read_and_then_carried_past_int64_exactly(
    read_service: ReadService,
) -> None:
    history = read_service.history
    history.register("c-1", "Ada")
    for n in range(930):
        history.place(f"o-{n:04d}", "c-1", START + timedelta(seconds=n), lines=LARGEST)
    pending = history.take_unprojected()
    # The registration and 500 orders (5 * 10^18, which int64 holds) first.
    history.unprojected, rest = pending[:501], pending[501:]
    await read_service.project_pending()
    await _as_before_decimal_sums(read_service)
    before = await _stored(read_service, SALES_BY_STATUS, "PLACED|EUR")
    assert before["revenue_minor"] == 500 * ORDER_TOTAL
    assert isinstance(before["revenue_minor"], int)

    old = await read_service.stub.GetCustomer(pb.GetCustomerRequest(customer_id="c-1"))
    assert [_exact(m) for m in old.customer.lifetime_value] == [
        ("EUR", 500 * ORDER_TOTAL, str(500 * ORDER_TOTAL))
    ]
    assert _exact((await _sales(read_service)).revenue)[2] == str(500 * ORDER_TOTAL)

    history.unprojected = rest
    await _project_in_batches(read_service)
    expected = 930 * ORDER_TOTAL
    new = await read_service.stub.GetCustomer(pb.GetCustomerRequest(customer_id="c-1"))
    totals = await _sales(read_service)
    after = await _stored(read_service, SALES_BY_STATUS, "PLACED|EUR")
    customer = await _stored(read_service, CUSTOMERS, "c-1")

    assert [_exact(m) for m in new.customer.lifetime_value] == [("EUR", INT64_MAX, str(expected))]
    assert _exact(totals.revenue) == ("EUR", INT64_MAX, str(expected))
    assert totals.order_count == 930
    assert after["revenue_minor"] == Decimal128(str(expected))
    assert customer["lifetime_value"] == {"EUR": Decimal128(str(expected))}


async def test_free_orders_show_zero_totals_in_every_read_model(read_service: ReadService) -> None:
    history = read_service.history
    history.register("c-free", "Ada")
    free = (OrderLine("GIFT-1", 2, 0), OrderLine("GIFT-2", 1, 0))
    history.place("o-free", "c-free", START, lines=free)
    history.pay("o-free", 0, "EUR", START + timedelta(minutes=1))
    await read_service.project_pending()

    summary = await read_service.stub.GetOrderSummary(pb.GetOrderSummaryRequest(order_id="o-free"))
    details = await read_service.stub.GetOrderDetails(pb.GetOrderDetailsRequest(order_id="o-free"))
    customer = await read_service.stub.GetCustomer(pb.GetCustomerRequest(customer_id="c-free"))
    stats = await read_service.stub.GetOrderStats(pb.GetOrderStatsRequest(customer_id="c-free"))
    totals = await _sales(read_service)

    zero = ("EUR", 0, "0")
    assert _exact(summary.order.total) == zero
    assert summary.order.payment_status == types_pb2.PAYMENT_STATUS_PAID
    assert _exact(details.order.payment.amount) == zero
    assert [_exact(line.unit_price) for line in details.order.lines] == [zero, zero]
    assert customer.customer.order_count == 1
    assert [_exact(m) for m in customer.customer.lifetime_value] == [zero]
    assert [(row.status, row.order_count, _exact(row.total)) for row in stats.rows] == [
        (types_pb2.ORDER_STATUS_PAID, 1, zero)
    ]
    assert (totals.order_count, totals.cancelled_order_count) == (1, 0)
    assert _exact(totals.revenue) == _exact(totals.average_order_value) == zero
