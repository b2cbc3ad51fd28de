"""GetOrderSummary, GetOrderDetails and GetCustomer over projected read models."""

from __future__ import annotations

from datetime import timedelta

from orders.v1 import query_service_pb2 as pb
from orders.v1 import types_pb2
from tests.read_service.order_history import START
from tests.read_service.read_harness import ReadService


async def test_an_order_summary_shows_the_order_as_projected(read_service: ReadService) -> None:
    history = read_service.history
    history.register("c-1", "Ada Lovelace")
    history.place("o-1", "c-1", START, customer_name="Ada Lovelace")
    paid = history.pay("o-1", 2500, "EUR", START + timedelta(minutes=5))
    await read_service.project_pending()

    response = await read_service.stub.GetOrderSummary(pb.GetOrderSummaryRequest(order_id="o-1"))

    order = response.order
    assert (order.order_id, order.customer_id, order.customer_name) == (
        "o-1",
        "c-1",
        "Ada Lovelace",
    )
    assert order.status == types_pb2.ORDER_STATUS_PAID
    assert order.payment_status == types_pb2.PAYMENT_STATUS_PAID
    assert (order.total.currency_code, order.total.amount_minor) == ("EUR", 2500)
    assert (order.item_count, order.line_count) == (2, 1)
    assert order.created_at.ToDatetime().replace(tzinfo=START.tzinfo) == START
    assert order.updated_at.ToDatetime().replace(tzinfo=START.tzinfo) == START + timedelta(
        minutes=5
    )
    metadata = response.read_metadata
    assert not metadata.stale
    assert metadata.projected_stream_revision == paid.revision
    assert metadata.projected_commit_position == paid.commit_position
    assert metadata.HasField("projected_at")


async def test_order_details_carry_lines_payment_shipping_and_the_timeline(
    read_service: ReadService,
) -> None:
    history = read_service.history
    history.register("c-1", "Ada")
    history.place("o-1", "c-1", START)
    history.pay("o-1", 2500, "EUR", START + timedelta(hours=1))
    history.ship("o-1", START + timedelta(hours=2))
    history.deliver("o-1", START + timedelta(hours=3))
    await read_service.project_pending()

    response = await read_service.stub.GetOrderDetails(pb.GetOrderDetailsRequest(order_id="o-1"))

    details = response.order
    assert details.summary.status == types_pb2.ORDER_STATUS_DELIVERED
    assert [(line.sku, line.quantity, line.unit_price.amount_minor) for line in details.lines] == [
        ("SKU-1", 2, 1250)
    ]
    assert details.customer.email == "c-1@example.com"
    assert details.payment.amount.amount_minor == 2500
    assert details.shipping.carrier == "DHL"
    assert details.shipping.HasField("delivered_at")
    assert not details.HasField("cancellation")
    assert [(entry.event_type, entry.revision, entry.status) for entry in details.timeline] == [
        ("OrderPlaced", 0, types_pb2.ORDER_STATUS_PLACED),
        ("PaymentProcessed", 1, types_pb2.ORDER_STATUS_PAID),
        ("OrderShipped", 2, types_pb2.ORDER_STATUS_SHIPPED),
        ("OrderDelivered", 3, types_pb2.ORDER_STATUS_DELIVERED),
    ]
    assert response.read_metadata.projected_stream_revision == 3


async def test_a_paid_then_cancelled_order_is_shown_refunded_with_its_reason(
    read_service: ReadService,
) -> None:
    history = read_service.history
    history.place("o-1", "c-1", START)
    history.pay("o-1", 2500, "EUR", START + timedelta(hours=1))
    history.cancel("o-1", START + timedelta(hours=2))
    await read_service.project_pending()

    response = await read_service.stub.GetOrderDetails(pb.GetOrderDetailsRequest(order_id="o-1"))

    assert response.order.summary.payment_status == types_pb2.PAYMENT_STATUS_REFUNDED
    assert response.order.cancellation.reason == "changed mind"
    assert response.order.cancellation.HasField("cancelled_at")
    assert response.order.customer.email == ""


async def test_a_customer_shows_profile_order_count_and_lifetime_value_per_currency(
    read_service: ReadService,
) -> None:
    history = read_service.history
    registered = history.register("c-1", "Ada")
    history.place("o-1", "c-1", START)
    history.place("o-2", "c-1", START + timedelta(days=1), currency="USD")
    history.place("o-3", "c-1", START + timedelta(days=2))
    history.cancel("o-3", START + timedelta(days=2, hours=1))
    await read_service.project_pending()

    response = await read_service.stub.GetCustomer(pb.GetCustomerRequest(customer_id="c-1"))

    customer = response.customer
    assert (customer.customer_id, customer.name, customer.email) == (
        "c-1",
        "Ada",
        "c-1@example.com",
    )
    assert customer.order_count == 3
    assert [(m.currency_code, m.amount_minor) for m in customer.lifetime_value] == [
        ("EUR", 2500),
        ("USD", 2500),
    ]
    assert customer.last_order_at.ToDatetime().replace(tzinfo=START.tzinfo) == START + timedelta(
        days=2
    )
    assert response.read_metadata.projected_stream_revision == registered.revision
