"""QueryService calls with retries on UNAVAILABLE, an optional default read consistency (the
session's), and paging walked for you."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TypeVar

import grpc
from google.protobuf.message import Message

from orders.v1 import consistency_pb2, query_service_pb2_grpc, views_pb2
from orders.v1 import query_service_pb2 as q
from orders_client.retrying import RetryPolicy, call

Metadata = Sequence[tuple[str, str]]
ConsistencySource = Callable[[], consistency_pb2.ReadConsistency | None]
RequestT = TypeVar("RequestT", bound=Message)
ResponseT = TypeVar("ResponseT")


class Queries:
    """Each method takes the request message. A request without a consistency field gets the
    one `consistency` gives (a session's last token); one you set is sent as is."""

    def __init__(
        self,
        channel: grpc.aio.Channel,
        *,
        retry: RetryPolicy,
        metadata: Metadata = (),
        timeout_seconds: float | None = 30.0,
        consistency: ConsistencySource | None = None,
    ) -> None:
        self._stub: query_service_pb2_grpc.QueryServiceAsyncStub = (
            query_service_pb2_grpc.QueryServiceStub(channel)
        )
        self._retry = retry
        self._metadata = tuple(metadata)
        self._timeout = timeout_seconds
        self._consistency = consistency

    def consistent_with(self, consistency: ConsistencySource) -> Queries:
        """The same queries, sending consistency's answer with each request that has none."""
        twin = Queries.__new__(Queries)
        twin.__dict__.update(self.__dict__)
        twin._consistency = consistency
        return twin

    async def get_order_summary(
        self, request: q.GetOrderSummaryRequest
    ) -> q.GetOrderSummaryResponse:
        return await self._ask(self._stub.GetOrderSummary, request)

    async def get_order_details(
        self, request: q.GetOrderDetailsRequest
    ) -> q.GetOrderDetailsResponse:
        return await self._ask(self._stub.GetOrderDetails, request)

    async def get_customer(self, request: q.GetCustomerRequest) -> q.GetCustomerResponse:
        return await self._ask(self._stub.GetCustomer, request)

    async def list_customer_orders(
        self, request: q.ListCustomerOrdersRequest
    ) -> q.ListCustomerOrdersResponse:
        return await self._ask(self._stub.ListCustomerOrders, request)

    async def list_orders(self, request: q.ListOrdersRequest) -> q.ListOrdersResponse:
        return await self._ask(self._stub.ListOrders, request)

    async def get_order_stats(self, request: q.GetOrderStatsRequest) -> q.GetOrderStatsResponse:
        return await self._ask(self._stub.GetOrderStats, request)

    async def get_sales_analytics(
        self, request: q.GetSalesAnalyticsRequest
    ) -> q.GetSalesAnalyticsResponse:
        return await self._ask(self._stub.GetSalesAnalytics, request)

    async def all_customer_orders(
        self, request: q.ListCustomerOrdersRequest
    ) -> AsyncIterator[views_pb2.OrderSummary]:
        """Every order of the customer, newest first, page after page."""
        page = q.ListCustomerOrdersRequest()
        page.CopyFrom(request)
        while True:
            response = await self.list_customer_orders(page)
            for order in response.orders:
                yield order
            if not response.next_page_token:
                return
            page.page_token = response.next_page_token

    async def all_orders(
        self, request: q.ListOrdersRequest
    ) -> AsyncIterator[views_pb2.OrderSummary]:
        """Every matching order, newest first, page after page."""
        page = q.ListOrdersRequest()
        page.CopyFrom(request)
        while True:
            response = await self.list_orders(page)
            for order in response.orders:
                yield order
            if not response.next_page_token:
                return
            page.page_token = response.next_page_token

    async def _ask(self, rpc: Callable[..., Awaitable[ResponseT]], request: RequestT) -> ResponseT:
        consistency = self._consistency() if self._consistency is not None else None
        if consistency is not None and not request.HasField("consistency"):
            request = _copy(request)
            request.consistency.CopyFrom(consistency)  # type: ignore[attr-defined]
        return await call(
            lambda: rpc(request, timeout=self._timeout, metadata=self._metadata), self._retry
        )


def _copy(request: RequestT) -> RequestT:
    copied = type(request)()
    copied.CopyFrom(request)
    return copied
