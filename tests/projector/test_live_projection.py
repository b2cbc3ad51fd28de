"""The projector, live against the embedded event store and SecantusDB, builds every read model."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from orders_contracts.events import (
    CustomerForgotten,
    CustomerRegistered,
    OrderCancelled,
    OrderPlaced,
    PaymentProcessed,
)
from orders_contracts.read_models import (
    CUSTOMERS,
    ORDER_SUMMARIES,
    SALES_BY_DAY,
    SALES_BY_STATUS,
    collection_name,
)
from orders_contracts.stored_sums import from_store
from projector.subscription_group import GroupSettings
from projector.timestamps import day_of, to_millis
from tests.projector.projector_harness import connect, dump, running_projector, status
from tests.projector.projector_history import Recorded
from tests.waiting import wait_until

STATUS_OF = {
    "OrderPlaced": "PLACED",
    "PaymentProcessed": "PAID",
    "OrderShipped": "SHIPPED",
    "OrderDelivered": "DELIVERED",
    "OrderCancelled": "CANCELLED",
}


def expected_from(history: list[Recorded]) -> dict[str, Any]:
    """Totals computed straight from the events, without the projector's code."""
    orders: dict[str, dict[str, Any]] = {}
    names: dict[str, str] = {}
    for recorded in history:
        event = recorded.event
        if isinstance(event, CustomerRegistered):
            names[event.customer_id] = event.name
            continue
        if isinstance(event, CustomerForgotten):
            continue
        if isinstance(event, OrderPlaced):
            orders[event.order_id] = {
                "customer_id": event.customer_id,
                "amount": event.total_minor,
                "currency": event.currency,
                "day": day_of(event.placed_at),
                "created_at": to_millis(event.placed_at),
                "events": 0,
                "paid": False,
            }
        order = orders[event.order_id]
        order["status"] = STATUS_OF[type(event).__name__]
        order["events"] += 1
        order["paid"] |= isinstance(event, PaymentProcessed)
        if isinstance(event, OrderCancelled):
            order["reason"] = event.reason
    by_status: Counter[tuple[str, str, str]] = Counter()
    by_day: Counter[tuple[str, str, str]] = Counter()
    customers: dict[str, Counter[str]] = defaultdict(Counter)
    for order in orders.values():
        key = (order["status"], order["currency"])
        by_status[(*key, "orders")] += 1
        by_status[(*key, "revenue")] += order["amount"]
        booked = order["status"] != "CANCELLED"
        day = (order["day"], order["currency"])
        by_day[(*day, "orders" if booked else "cancelled_orders")] += 1
        by_day[(*day, "revenue_minor" if booked else "cancelled_minor")] += order["amount"]
        customer = customers[order["customer_id"]]
        customer["order_count"] += 1
        customer[order["currency"]] += order["amount"] if booked else 0
        customer["cancelled_count"] += 0 if booked else 1
    return {
        "orders": orders,
        "names": names,
        "by_status": by_status,
        "by_day": by_day,
        "customers": customers,
    }


async def test_the_projector_builds_every_read_model_from_a_realistic_history(
    history_uri: str, mongo_uri: str, mongo_db_name: str, history: list[Recorded]
) -> None:
    expected = expected_from(history)
    async with connect(history_uri, mongo_uri, mongo_db_name) as stores:
        async with running_projector(stores, GroupSettings(name="builds-all")):

            async def caught_up() -> bool:
                return int((await status(stores.db)).get("events_applied", 0)) >= len(history)

            await wait_until(caught_up, "every event applied")
        models = await dump(stores.db)
        progress = await status(stores.db)
        indexes = await stores.db[collection_name(ORDER_SUMMARIES, 1)].index_information()

    summaries = {doc["_id"]: doc for doc in models["order_summaries"]}
    details = {doc["_id"]: doc for doc in models["order_details"]}
    assert set(summaries) == set(expected["orders"]) == set(details)
    for order_id, order in expected["orders"].items():
        summary, detail = summaries[order_id], details[order_id]
        assert summary["status"] == detail["status"] == order["status"], order_id
        assert summary["total"] == {"currency": order["currency"], "amount_minor": order["amount"]}
        assert summary["revision"] == detail["revision"] == order["events"] - 1
        assert summary["created_at"] == order["created_at"]
        # A paid order that is cancelled is refunded in full.
        refunded = order["paid"] and order["status"] == "CANCELLED"
        paid = "REFUNDED" if refunded else "PAID"
        assert summary["payment_status"] == (paid if order["paid"] else "PENDING")
        assert len(detail["timeline"]) == order["events"]
        assert detail["cancellation_reason"] == order.get("reason")
        assert sum(line["line_total_minor"] for line in detail["lines"]) == order["amount"]

    statuses = {doc["_id"]: from_store(SALES_BY_STATUS, doc) for doc in models["sales_by_status"]}
    for (state, currency, field), value in expected["by_status"].items():
        doc = statuses[f"{state}|{currency}"]
        assert doc["orders" if field == "orders" else "revenue_minor"] == value
    assert sum(doc["orders"] for doc in statuses.values()) == len(expected["orders"])

    days = {doc["_id"]: from_store(SALES_BY_DAY, doc) for doc in models["sales_by_day"]}
    for (day, currency, field), value in expected["by_day"].items():
        assert days[f"{day}|{currency}"][field] == value
    assert sum(doc["orders"] + doc["cancelled_orders"] for doc in days.values()) == len(
        expected["orders"]
    )

    customers = {doc["_id"]: from_store(CUSTOMERS, doc) for doc in models["customers"]}
    for customer_id, counters in expected["customers"].items():
        doc = customers[customer_id]
        assert doc["order_count"] == counters["order_count"]
        assert doc["cancelled_count"] == counters["cancelled_count"]
        for currency, value in doc["lifetime_value"].items():
            assert value == counters[currency]
        assert doc["registered"] == (customer_id in expected["names"])
        if doc["registered"]:
            assert doc["name"] == expected["names"][customer_id]

    assert progress["lag_events"] == 0
    assert progress["events_parked"] == 0
    assert {"customer_created", "status_created", "created"} <= set(indexes)
