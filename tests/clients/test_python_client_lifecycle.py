"""The Python client library (clients/python) through the whole order lifecycle, paging and
idempotent retries, against the real write service, projector and read service."""

from __future__ import annotations

from orders.v1 import command_service_pb2 as cmd
from orders.v1 import query_service_pb2 as q
from orders.v1 import types_pb2
from orders_client import format_money, to_money
from tests.clients.conftest import ClientStack
from tests.clients.orders_requests import order, registration


async def test_a_session_reads_its_own_writes_through_the_whole_lifecycle(
    client_stack: ClientStack,
) -> None:
    session = client_stack.client.session()
    customer = await session.commands.register_customer(registration())
    # 4,408,460 yen a book: no minor unit, so the total is 8,816,920 JPY, not 88,169.20.
    placed = await session.commands.place_order(order(customer.customer_id, "4408460", "JPY"))
    assert format_money(placed.total) == "8,816,920 JPY"

    summary = await session.queries.get_order_summary(
        q.GetOrderSummaryRequest(order_id=placed.order_id)
    )
    assert summary.order.status == types_pb2.ORDER_STATUS_PLACED
    assert not summary.read_metadata.stale

    steps = [
        session.commands.process_payment(
            cmd.ProcessPaymentRequest(order_id=placed.order_id, amount=placed.total, method="card")
        ),
        session.commands.ship_order(
            cmd.ShipOrderRequest(order_id=placed.order_id, carrier="DHL", tracking_number="T-1")
        ),
        session.commands.deliver_order(cmd.DeliverOrderRequest(order_id=placed.order_id)),
    ]
    for step in steps:
        await step
    # No token passed by hand: the session sends the delivery's, so the read is never behind.
    details = await session.queries.get_order_details(
        q.GetOrderDetailsRequest(order_id=placed.order_id)
    )
    assert session.token is not None
    assert session.token.stream == f"order-{placed.order_id}"
    assert details.order.summary.status == types_pb2.ORDER_STATUS_DELIVERED
    timeline = [entry.description for entry in details.order.timeline]
    assert len(timeline) == 4
    assert "8,816,920 JPY" in timeline[0]
    assert "8,816,920 JPY" in timeline[1]


async def test_a_paid_order_cancelled_in_a_session_reads_back_refunded(
    client_stack: ClientStack,
) -> None:
    session = client_stack.client.session()
    customer = await session.commands.register_customer(registration("Grace Hopper"))
    placed = await session.commands.place_order(order(customer.customer_id, "1.234", "BHD"))
    await session.commands.process_payment(
        cmd.ProcessPaymentRequest(order_id=placed.order_id, amount=placed.total, method="card")
    )
    cancelled = await session.commands.cancel_order(
        cmd.CancelOrderRequest(order_id=placed.order_id, reason="changed my mind")
    )
    assert cancelled.payment_status == types_pb2.PAYMENT_STATUS_REFUNDED

    read = await session.queries.get_order_summary(
        q.GetOrderSummaryRequest(order_id=placed.order_id)
    )
    assert read.order.status == types_pb2.ORDER_STATUS_CANCELLED
    assert format_money(read.order.total) == "2.468 BHD"


async def test_paging_walks_every_order_of_a_customer_once_newest_first(
    client_stack: ClientStack,
) -> None:
    session = client_stack.client.session()
    customer = await session.commands.register_customer(registration("Alan Turing"))
    placed = [
        (await session.commands.place_order(order(customer.customer_id, f"{n}.00"))).order_id
        for n in range(1, 8)
    ]

    request = q.ListCustomerOrdersRequest(customer_id=customer.customer_id, page_size=3)
    first_page = await session.queries.list_customer_orders(request)
    walked = [o.order_id async for o in session.queries.all_customer_orders(request)]

    assert len(first_page.orders) == 3
    assert first_page.next_page_token
    assert sorted(walked) == sorted(placed)
    assert len(walked) == len(set(walked)) == 7
    everyone = q.ListOrdersRequest(page_size=2)
    listed = [o.order_id async for o in session.queries.all_orders(everyone)]
    assert set(placed) <= set(listed)


async def test_the_same_idempotency_key_sent_twice_places_one_order(
    client_stack: ClientStack,
) -> None:
    commands = client_stack.client.commands
    customer = await commands.register_customer(registration("Edsger Dijkstra"))
    request = order(customer.customer_id)
    request.idempotency_key = "place-once-7f3a"

    first = await commands.place_order(request)
    again = await commands.place_order(request)

    assert again == first
    events = await client_stack.stack.events(f"order-{first.order_id}")
    assert [type(event).__name__ for event in events] == ["OrderPlaced"]


async def test_a_command_without_a_key_is_sent_with_a_fresh_one_and_the_request_left_alone(
    client_stack: ClientStack,
) -> None:
    commands = client_stack.client.commands
    customer = await commands.register_customer(registration("Barbara Liskov"))
    request = order(customer.customer_id)

    first = await commands.place_order(request)
    second = await commands.place_order(request)

    assert request.idempotency_key == ""
    assert first.order_id != second.order_id
    expected = to_money("25", "EUR").amount_minor
    assert first.total.amount_minor == second.total.amount_minor == expected
