"""Errors through the one table: NOT_FOUND, INVALID_ARGUMENT with one violation per bad field."""

from __future__ import annotations

from datetime import timedelta

import grpc
import pytest

from orders.v1 import consistency_pb2, types_pb2
from orders.v1 import query_service_pb2 as pb
from tests.read_service.order_history import START, place_customer_orders, timestamp
from tests.read_service.read_harness import ReadService
from tests.rich_errors import RichError, rich_error


async def refused(call: object) -> RichError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call  # type: ignore[misc]
    return rich_error(caught.value)


async def test_an_unknown_order_is_not_found_with_its_id(read_service: ReadService) -> None:
    for call in (
        read_service.stub.GetOrderSummary(pb.GetOrderSummaryRequest(order_id="missing")),
        read_service.stub.GetOrderDetails(pb.GetOrderDetailsRequest(order_id="missing")),
    ):
        error = await refused(call)
        assert (error.code, error.reason, error.domain) == (
            grpc.StatusCode.NOT_FOUND,
            "ORDER_NOT_FOUND",
            "orders.v1",
        )
        assert error.metadata == {"order_id": "missing"}


async def test_an_unknown_customer_is_not_found_for_the_customer_and_for_stats(
    read_service: ReadService,
) -> None:
    for call in (
        read_service.stub.GetCustomer(pb.GetCustomerRequest(customer_id="nobody")),
        read_service.stub.GetOrderStats(pb.GetOrderStatsRequest(customer_id="nobody")),
    ):
        error = await refused(call)
        assert (error.code, error.reason) == (grpc.StatusCode.NOT_FOUND, "CUSTOMER_NOT_FOUND")
        assert error.metadata == {"customer_id": "nobody"}


async def test_every_bad_field_of_a_listing_is_reported_at_once(read_service: ReadService) -> None:
    error = await refused(
        read_service.stub.ListOrders(
            pb.ListOrdersRequest(
                statuses=[
                    types_pb2.ORDER_STATUS_PAID,
                    types_pb2.ORDER_STATUS_UNSPECIFIED,
                    types_pb2.OrderStatus.ValueType(42),
                ],
                created_after=timestamp(START + timedelta(days=2)),
                created_before=timestamp(START),
                page_size=-1,
                page_token="not a token",
                consistency=consistency_pb2.ReadConsistency(
                    min_token=consistency_pb2.ConsistencyToken(stream="invoice-1", revision=0)
                ),
            )
        )
    )

    assert (error.code, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_REQUEST")
    assert set(error.violations) == {
        "statuses[1]",
        "statuses[2]",
        "created_before",
        "page_size",
        "page_token",
        "consistency.min_token.stream",
    }


async def test_a_page_token_used_with_another_filter_is_refused(read_service: ReadService) -> None:
    place_customer_orders(read_service.history, "c-1", 15, "a")
    place_customer_orders(read_service.history, "c-2", 15, "b")
    await read_service.project_pending()
    first = await read_service.stub.ListCustomerOrders(
        pb.ListCustomerOrdersRequest(customer_id="c-1")
    )
    assert first.next_page_token

    other_customer = await refused(
        read_service.stub.ListCustomerOrders(
            pb.ListCustomerOrdersRequest(customer_id="c-2", page_token=first.next_page_token)
        )
    )
    other_rpc = await refused(
        read_service.stub.ListOrders(pb.ListOrdersRequest(page_token=first.next_page_token))
    )

    for error in (other_customer, other_rpc):
        assert error.code == grpc.StatusCode.INVALID_ARGUMENT
        assert list(error.violations) == ["page_token"]


async def test_malformed_ids_are_invalid_arguments_naming_the_field(
    read_service: ReadService,
) -> None:
    cases = [
        (read_service.stub.GetOrderSummary(pb.GetOrderSummaryRequest()), "order_id"),
        (
            read_service.stub.GetOrderDetails(pb.GetOrderDetailsRequest(order_id="a b")),
            "order_id",
        ),
        (read_service.stub.GetCustomer(pb.GetCustomerRequest(customer_id="x" * 65)), "customer_id"),
        (read_service.stub.ListCustomerOrders(pb.ListCustomerOrdersRequest()), "customer_id"),
        (
            read_service.stub.GetOrderStats(pb.GetOrderStatsRequest(customer_id="bad/id")),
            "customer_id",
        ),
    ]
    for call, field in cases:
        error = await refused(call)
        assert error.code == grpc.StatusCode.INVALID_ARGUMENT
        assert list(error.violations) == [field]


async def test_bad_analytics_date_ranges_and_currencies_are_invalid_arguments(
    read_service: ReadService,
) -> None:
    day = types_pb2.Date(year=2026, month=3, day=1)
    cases = [
        (pb.GetSalesAnalyticsRequest(end_date=day), {"start_date"}),
        (
            pb.GetSalesAnalyticsRequest(
                start_date=types_pb2.Date(year=2026, month=2, day=30), end_date=day
            ),
            {"start_date"},
        ),
        (
            pb.GetSalesAnalyticsRequest(
                start_date=day, end_date=types_pb2.Date(year=2026, month=2, day=1)
            ),
            {"end_date"},
        ),
        (
            pb.GetSalesAnalyticsRequest(
                start_date=day, end_date=types_pb2.Date(year=2027, month=3, day=3)
            ),
            {"end_date"},
        ),
        (
            pb.GetSalesAnalyticsRequest(start_date=day, end_date=day, currency_code="eur"),
            {"currency_code"},
        ),
    ]
    for request, fields in cases:
        error = await refused(read_service.stub.GetSalesAnalytics(request))
        assert error.code == grpc.StatusCode.INVALID_ARGUMENT
        assert set(error.violations) == fields
