"""The gRPC edge of QueryService: request -> query -> response.

Correlation id, logging, the caller's deadline and every failure's status are the interceptor
chain's (``orders_runtime.interceptors``, with this service's table in ``rpc_errors``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import grpc

from orders.v1 import query_service_pb2 as pb
from orders.v1 import query_service_pb2_grpc
from orders_runtime.deadlines import time_remaining
from read_service import messages, request_checks
from read_service.cached_answers import CachedAnswers
from read_service.contract_gate import ContractGate
from read_service.page_token_seal import PageTokenSeal
from read_service.personal_data import PersonalDataOpener
from read_service.queries import analytics, customers, listing, orders, stats
from read_service.queries.context import QueryContext
from read_service.validation import raise_if_any
from read_service.watch_api import WatchApi

Response = TypeVar("Response")
Context = grpc.aio.ServicerContext[Any, Any]


WatchMessage = TypeVar("WatchMessage", pb.WatchOrderResponse, pb.WatchCustomerOrdersResponse)


class QueryApi(query_service_pb2_grpc.QueryServiceServicer):
    def __init__(
        self,
        ctx: QueryContext,
        answers: CachedAnswers,
        seal: PageTokenSeal,
        *,
        max_wait_seconds: float,
        personal_data: PersonalDataOpener | None = None,
        watches: WatchApi,
    ) -> None:
        self._watches = watches
        self._ctx = ctx
        self._personal_data = personal_data or PersonalDataOpener(None)
        self._answers = answers
        self._seal = seal
        self._gate = ContractGate()
        self._max_wait = max_wait_seconds

    async def GetOrderSummary(  # noqa: N802 (gRPC method names)
        self, request: pb.GetOrderSummaryRequest, context: Context
    ) -> pb.GetOrderSummaryResponse:
        async def run(wait: float) -> pb.GetOrderSummaryResponse:
            return await self._answers.order_summary(request, wait)

        return await self._serve(request, run)

    async def GetOrderDetails(  # noqa: N802 (gRPC method names)
        self, request: pb.GetOrderDetailsRequest, context: Context
    ) -> pb.GetOrderDetailsResponse:
        async def run(wait: float) -> pb.GetOrderDetailsResponse:
            consistency = messages.read_consistency(request.consistency)
            answer = await orders.get_order_details(
                self._ctx, request.order_id, consistency, wait_seconds=wait
            )
            return pb.GetOrderDetailsResponse(
                order=messages.order_details(answer.value),
                read_metadata=messages.read_metadata(answer.freshness),
            )

        return await self._serve(request, run)

    async def GetCustomer(  # noqa: N802 (gRPC method names)
        self, request: pb.GetCustomerRequest, context: Context
    ) -> pb.GetCustomerResponse:
        async def run(wait: float) -> pb.GetCustomerResponse:
            consistency = messages.read_consistency(request.consistency)
            answer = await customers.get_customer(
                self._ctx, request.customer_id, consistency, wait_seconds=wait
            )
            return pb.GetCustomerResponse(
                customer=messages.customer(answer.value),
                read_metadata=messages.read_metadata(answer.freshness),
            )

        return await self._serve(request, run)

    async def ListCustomerOrders(  # noqa: N802 (gRPC method names)
        self, request: pb.ListCustomerOrdersRequest, context: Context
    ) -> pb.ListCustomerOrdersResponse:
        async def run(wait: float) -> pb.ListCustomerOrdersResponse:
            opened = pb.ListCustomerOrdersRequest()
            opened.CopyFrom(request)
            opened.page_token = self._opened(request.page_token)
            response = await self._answers.customer_orders(opened, wait)
            response.next_page_token = self._seal.seal(response.next_page_token)
            return response

        return await self._serve(request, run)

    async def ListOrders(  # noqa: N802 (gRPC method names)
        self, request: pb.ListOrdersRequest, context: Context
    ) -> pb.ListOrdersResponse:
        async def run(wait: float) -> pb.ListOrdersResponse:
            answer = await listing.list_orders(
                self._ctx,
                messages.status_names(request.statuses),
                messages.optional_time(request, "created_after"),
                messages.optional_time(request, "created_before"),
                request.page_size,
                self._opened(request.page_token),
                messages.read_consistency(request.consistency),
                wait_seconds=wait,
            )
            return pb.ListOrdersResponse(
                orders=[messages.order_summary(doc) for doc in answer.value.orders],
                next_page_token=self._seal.seal(answer.value.next_page_token),
                read_metadata=messages.read_metadata(answer.freshness),
            )

        return await self._serve(request, run)

    async def GetOrderStats(  # noqa: N802 (gRPC method names)
        self, request: pb.GetOrderStatsRequest, context: Context
    ) -> pb.GetOrderStatsResponse:
        async def run(wait: float) -> pb.GetOrderStatsResponse:
            answer = await stats.get_order_stats(
                self._ctx,
                request.customer_id,
                messages.status_names(request.statuses),
                messages.optional_time(request, "created_after"),
                messages.optional_time(request, "created_before"),
                messages.read_consistency(request.consistency),
                wait_seconds=wait,
            )
            response = pb.GetOrderStatsResponse(
                rows=[messages.stats_row(row) for row in answer.value.rows],
                read_metadata=messages.read_metadata(answer.freshness),
            )
            if answer.value.customer is not None:
                response.customer.CopyFrom(messages.customer(answer.value.customer))
            return response

        return await self._serve(request, run)

    async def GetSalesAnalytics(  # noqa: N802 (gRPC method names)
        self, request: pb.GetSalesAnalyticsRequest, context: Context
    ) -> pb.GetSalesAnalyticsResponse:
        async def run(wait: float) -> pb.GetSalesAnalyticsResponse:
            answer = await analytics.get_sales_analytics(
                self._ctx,
                messages.optional_date(request, "start_date"),
                messages.optional_date(request, "end_date"),
                request.currency_code,
                messages.read_consistency(request.consistency),
                wait_seconds=wait,
            )
            return pb.GetSalesAnalyticsResponse(
                currencies=[messages.currency_sales(entry) for entry in answer.value],
                read_metadata=messages.read_metadata(answer.freshness),
            )

        return await self._serve(request, run)

    async def WatchOrder(  # noqa: N802 (gRPC method names)
        self, request: pb.WatchOrderRequest, context: Context
    ) -> AsyncIterator[pb.WatchOrderResponse]:
        raise_if_any(request_checks.violations(request, self._seal, self._gate))
        async for message in self._watches.watch_order(request, self._wait_seconds()):
            yield await self._opened_copy(message)

    async def WatchCustomerOrders(  # noqa: N802 (gRPC method names)
        self, request: pb.WatchCustomerOrdersRequest, context: Context
    ) -> AsyncIterator[pb.WatchCustomerOrdersResponse]:
        raise_if_any(request_checks.violations(request, self._seal, self._gate))
        async for message in self._watches.watch_customer_orders(request, self._wait_seconds()):
            yield await self._opened_copy(message)

    async def _serve(self, request: Any, run: Callable[[float], Awaitable[Response]]) -> Response:
        raise_if_any(request_checks.violations(request, self._seal, self._gate))
        response = await run(self._wait_seconds())
        await self._personal_data.open(response)  # type: ignore[arg-type]
        return response

    async def _opened_copy(self, message: WatchMessage) -> WatchMessage:
        # A copy: the hub hands one decoded change to every watcher of the order.
        opened = type(message)()
        opened.CopyFrom(message)
        await self._personal_data.open(opened)
        return opened

    def _opened(self, page_token: str) -> str:
        # Checked before: request_checks refuses a token the seal does not open.
        return self._seal.open(page_token) or ""

    def _wait_seconds(self) -> float:
        """How long the call may wait for its token; the waiters keep the margin to answer in
        (see revision_waiters), which depends on how many wait when it gives up."""
        remaining = time_remaining()
        if remaining is None:
            return self._max_wait
        return min(self._max_wait, remaining)
