"""End to end: commands through the real write service, documents from the real projector."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from orders.v1 import command_service_pb2 as cmd
from orders.v1 import consistency_pb2, types_pb2
from orders.v1 import query_service_pb2 as pb
from orders_contracts.events import (
    OrderCancelled,
    OrderDelivered,
    OrderPlaced,
    OrderShipped,
    PaymentProcessed,
)
from tests.read_service.full_stack import (
    Stack,
    key,
    money,
    place,
    register,
    running_stack,
    wait_for,
)


async def test_an_order_placed_then_read_with_its_token_in_wait_mode_is_always_there_200_runs(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    async with running_stack(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stack:
        await register(stack, "c-1", "Ada")

        async def place_then_read(lane: int, runs: int) -> int:
            for run in range(runs):
                order_id = f"o-{lane}-{run:03d}"
                token = (await place(stack, order_id, "c-1")).consistency_token
                if run % 2:
                    details = await stack.reads.stub.GetOrderDetails(
                        pb.GetOrderDetailsRequest(order_id=order_id, consistency=wait_for(token)),
                        timeout=30,
                    )
                    found, metadata = details.order.summary, details.read_metadata
                else:
                    summary = await stack.reads.stub.GetOrderSummary(
                        pb.GetOrderSummaryRequest(order_id=order_id, consistency=wait_for(token)),
                        timeout=30,
                    )
                    found, metadata = summary.order, summary.read_metadata
                assert found.order_id == order_id
                assert found.status == types_pb2.ORDER_STATUS_PLACED
                assert not metadata.stale
                assert metadata.projected_stream_revision >= token.revision
            return runs

        # Eight callers at once, each placing and then reading its own orders one after another.
        completed = await asyncio.gather(*(place_then_read(lane, 25) for lane in range(8)))

        assert sum(completed) == 200


async def test_paging_walks_57_real_orders_while_new_ones_arrive(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    async with running_stack(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stack:
        await register(stack, "c-57", "Grace")
        tokens = [(await place(stack, f"a-{n:02d}", "c-57")).consistency_token for n in range(57)]
        await _wait_for_orders(stack, tokens)
        seen: list[pb.ListCustomerOrdersResponse] = []
        request = pb.ListCustomerOrdersRequest(customer_id="c-57", page_size=10)
        arrivals = 0
        while True:
            page = await stack.reads.stub.ListCustomerOrders(request)
            seen.append(page)
            if not page.next_page_token:
                break
            request.page_token = page.next_page_token
            for _ in range(2):
                await place(stack, f"new-{arrivals:02d}", "c-57")
                arrivals += 1

        orders = [order for page in seen for order in page.orders]
        ids = [order.order_id for order in orders]
        assert sorted(ids) == sorted(f"a-{n:02d}" for n in range(57))
        keys = [(o.created_at.ToDatetime(), o.order_id) for o in orders]
        assert keys == sorted(keys, reverse=True)
        assert len(seen) == 6


async def _wait_for_orders(stack: Stack, tokens: list[consistency_pb2.ConsistencyToken]) -> None:
    await asyncio.gather(
        *(
            stack.reads.stub.GetOrderSummary(
                pb.GetOrderSummaryRequest(
                    order_id=token.stream.removeprefix("order-"), consistency=wait_for(token)
                ),
                timeout=30,
            )
            for token in tokens
        )
    )


async def _drive_lifecycles(stack: Stack, customers: list[str], orders: int) -> list[str]:
    """Places orders through the write service and takes each down a random lifecycle path."""
    rng = random.Random(5)
    order_ids = []
    for n in range(orders):
        order_id = f"e-{n:03d}"
        currency = rng.choice(("EUR", "EUR", "USD"))
        price = rng.randrange(100, 5000)
        await place(stack, order_id, rng.choice(customers), price, currency)
        order_ids.append(order_id)
        path = rng.choice(("placed", "paid", "shipped", "delivered", "cancel", "pay-cancel"))
        if path in ("paid", "shipped", "delivered", "pay-cancel"):
            await stack.commands.ProcessPayment(
                cmd.ProcessPaymentRequest(
                    idempotency_key=key(),
                    order_id=order_id,
                    amount=money(2 * price, currency),
                    method="card",
                )
            )
        if path in ("shipped", "delivered"):
            await stack.commands.ShipOrder(
                cmd.ShipOrderRequest(
                    idempotency_key=key(), order_id=order_id, carrier="DHL", tracking_number="T"
                )
            )
        if path == "delivered":
            await stack.commands.DeliverOrder(
                cmd.DeliverOrderRequest(idempotency_key=key(), order_id=order_id)
            )
        if path in ("cancel", "pay-cancel"):
            await stack.commands.CancelOrder(
                cmd.CancelOrderRequest(idempotency_key=key(), order_id=order_id, reason="no")
            )
    return order_ids


async def _fold_stored_events(
    stack: Stack, order_ids: list[str]
) -> tuple[dict[str, OrderPlaced], dict[str, str], list[consistency_pb2.ConsistencyToken]]:
    """The truth, folded by the test from the events as the event store holds them."""
    placed: dict[str, OrderPlaced] = {}
    status: dict[str, str] = {}
    last_tokens = []
    for order_id in order_ids:
        events = await stack.events(f"order-{order_id}")
        for event in events:
            match event:
                case OrderPlaced():
                    placed[order_id], status[order_id] = event, "PLACED"
                case PaymentProcessed():
                    status[order_id] = "PAID"
                case OrderShipped():
                    status[order_id] = "SHIPPED"
                case OrderDelivered():
                    status[order_id] = "DELIVERED"
                case OrderCancelled():
                    status[order_id] = "CANCELLED"
        last_tokens.append(
            consistency_pb2.ConsistencyToken(stream=f"order-{order_id}", revision=len(events) - 1)
        )
    return placed, status, last_tokens


async def test_stats_analytics_customers_and_listings_match_totals_from_the_stored_events(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    async with running_stack(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stack:
        for customer_id in ("c-1", "c-2", "c-3"):
            await register(stack, customer_id, customer_id.upper())
        order_ids = await _drive_lifecycles(stack, ["c-1", "c-2", "c-3"], orders=45)
        placed, status, last_tokens = await _fold_stored_events(stack, order_ids)
        await _wait_for_orders(stack, last_tokens)
        queries = stack.reads.stub

        stats = await queries.GetOrderStats(pb.GetOrderStatsRequest(customer_id="c-1"))
        expected_stats: Counter[tuple[str, str]] = Counter()
        expected_amounts: Counter[tuple[str, str]] = Counter()
        for order_id, event in placed.items():
            if event.customer_id == "c-1":
                expected_stats[status[order_id], event.currency] += 1
                expected_amounts[status[order_id], event.currency] += event.total_minor
        assert {
            (types_pb2.OrderStatus.Name(r.status)[len("ORDER_STATUS_") :], r.total.currency_code): (
                r.order_count,
                r.total.amount_minor,
            )
            for r in stats.rows
        } == {k: (n, expected_amounts[k]) for k, n in expected_stats.items()}
        assert stats.customer.name == "C-1"

        customer = await queries.GetCustomer(pb.GetCustomerRequest(customer_id="c-1"))
        lifetime: Counter[str] = Counter()
        for order_id, event in placed.items():
            if event.customer_id == "c-1" and status[order_id] != "CANCELLED":
                lifetime[event.currency] += event.total_minor
        assert customer.customer.order_count == sum(expected_stats.values())
        assert {m.currency_code: m.amount_minor for m in customer.customer.lifetime_value} == {
            c: v for c, v in lifetime.items() if v
        }

        today = datetime.now(UTC).date()
        first, last = today - timedelta(days=1), today + timedelta(days=1)
        sales = await queries.GetSalesAnalytics(
            pb.GetSalesAnalyticsRequest(
                start_date=types_pb2.Date(year=first.year, month=first.month, day=first.day),
                end_date=types_pb2.Date(year=last.year, month=last.month, day=last.day),
            )
        )
        for entry in sales.currencies:
            counted = [
                o
                for o, e in placed.items()
                if e.currency == entry.currency_code and status[o] != "CANCELLED"
            ]
            revenue = sum(placed[o].total_minor for o in counted)
            cancelled = sum(
                1
                for o, e in placed.items()
                if e.currency == entry.currency_code and status[o] == "CANCELLED"
            )
            assert entry.totals.order_count == len(counted)
            assert entry.totals.revenue.amount_minor == revenue
            assert entry.totals.average_order_value.amount_minor == revenue // len(counted)
            assert entry.totals.cancelled_order_count == cancelled
            by_day = Counter(placed[o].placed_at.astimezone(UTC).date() for o in counted)
            assert {
                date(d.date.year, d.date.month, d.date.day): d.totals.order_count
                for d in entry.daily
                if d.totals.order_count
            } == dict(by_day)
        assert sorted(c.currency_code for c in sales.currencies) == sorted(
            {e.currency for e in placed.values()}
        )

        paid = await queries.ListOrders(
            pb.ListOrdersRequest(statuses=[types_pb2.ORDER_STATUS_PAID], page_size=100)
        )
        assert sorted(o.order_id for o in paid.orders) == sorted(
            o for o, s in status.items() if s == "PAID"
        )
        some_order = order_ids[0]
        details = await queries.GetOrderDetails(pb.GetOrderDetailsRequest(order_id=some_order))
        assert len(details.order.timeline) == last_tokens[0].revision + 1
        assert (
            details.order.customer.email == f"{placed[some_order].customer_id.upper()}@example.com"
        )
