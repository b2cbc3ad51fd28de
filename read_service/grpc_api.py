"""The gRPC edge of QueryService: request -> query -> response, and errors through one table."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeVar

import grpc
import structlog
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status
from pymongo.errors import ConnectionFailure, PyMongoError

from orders.v1 import errors_pb2, query_service_pb2_grpc
from orders.v1 import query_service_pb2 as pb
from read_service import messages
from read_service.errors import ConsistencyNotReachedError, InvalidArgumentError, NotFoundError
from read_service.queries import analytics, customers, listing, orders, stats
from read_service.queries.context import QueryContext

_log = structlog.get_logger(__name__)

_DOMAIN: Final = "orders.v1"
CORRELATION_HEADER: Final = "x-correlation-id"
# Stop waiting a little before the caller's deadline, so the caller gets our reason
# (CONSISTENCY_NOT_REACHED), not its own timeout: a tenth of the time left, within these bounds.
_DEADLINE_MARGIN_SECONDS: Final = (0.05, 0.25)

Response = TypeVar("Response")
Context = grpc.aio.ServicerContext[Any, Any]


class QueryApi(query_service_pb2_grpc.QueryServiceServicer):
    def __init__(self, ctx: QueryContext, *, max_wait_seconds: float) -> None:
        self._ctx = ctx
        self._max_wait = max_wait_seconds

    async def GetOrderSummary(  # noqa: N802 (gRPC method names)
        self, request: pb.GetOrderSummaryRequest, context: Context
    ) -> pb.GetOrderSummaryResponse:
        async def run(wait: float) -> pb.GetOrderSummaryResponse:
            consistency = messages.read_consistency(request.consistency)
            answer = await orders.get_order_summary(
                self._ctx, request.order_id, consistency, wait_seconds=wait
            )
            return pb.GetOrderSummaryResponse(
                order=messages.order_summary(answer.value),
                read_metadata=messages.read_metadata(answer.freshness),
            )

        return await self._serve(context, "GetOrderSummary", run)

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

        return await self._serve(context, "GetOrderDetails", run)

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

        return await self._serve(context, "GetCustomer", run)

    async def ListCustomerOrders(  # noqa: N802 (gRPC method names)
        self, request: pb.ListCustomerOrdersRequest, context: Context
    ) -> pb.ListCustomerOrdersResponse:
        async def run(wait: float) -> pb.ListCustomerOrdersResponse:
            answer = await listing.list_customer_orders(
                self._ctx,
                request.customer_id,
                request.page_size,
                request.page_token,
                messages.read_consistency(request.consistency),
                wait_seconds=wait,
            )
            return pb.ListCustomerOrdersResponse(
                orders=[messages.order_summary(doc) for doc in answer.value.orders],
                next_page_token=answer.value.next_page_token,
                read_metadata=messages.read_metadata(answer.freshness),
            )

        return await self._serve(context, "ListCustomerOrders", run)

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
                request.page_token,
                messages.read_consistency(request.consistency),
                wait_seconds=wait,
            )
            return pb.ListOrdersResponse(
                orders=[messages.order_summary(doc) for doc in answer.value.orders],
                next_page_token=answer.value.next_page_token,
                read_metadata=messages.read_metadata(answer.freshness),
            )

        return await self._serve(context, "ListOrders", run)

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

        return await self._serve(context, "GetOrderStats", run)

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

        return await self._serve(context, "GetSalesAnalytics", run)

    async def _serve(
        self, context: Context, rpc: str, run: Callable[[float], Awaitable[Response]]
    ) -> Response:
        correlation_id = _correlation_id(context)
        started = time.perf_counter()
        with structlog.contextvars.bound_contextvars(rpc=rpc, correlation_id=correlation_id):
            try:
                response = await run(self._wait_seconds(context))
            except Exception as error:  # every failure leaves through the error table
                status = to_status(error)
                _log_failure(error, status, time.perf_counter() - started)
                await context.abort_with_status(rpc_status.to_status(status))
            _log.debug("rpc answered", duration_ms=_millis(started))
            return response

    def _wait_seconds(self, context: Context) -> float:
        remaining = context.time_remaining()
        if remaining is None:
            return self._max_wait
        low, high = _DEADLINE_MARGIN_SECONDS
        margin = min(high, max(low, remaining / 10))
        return max(0.0, min(self._max_wait, remaining - margin))


def to_status(error: Exception) -> status_pb2.Status:
    """The error table: every failure as a google.rpc.Status with an ErrorInfo reason."""
    match error:
        case InvalidArgumentError(violations=violations):
            bad_request = error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(
                        field=v.field, description=v.description
                    )
                    for v in violations
                ]
            )
            return _status(
                grpc.StatusCode.INVALID_ARGUMENT,
                str(error),
                errors_pb2.INVALID_REQUEST,
                {},
                bad_request,
            )
        case NotFoundError(kind="order", identifier=identifier):
            return _status(
                grpc.StatusCode.NOT_FOUND,
                str(error),
                errors_pb2.ORDER_NOT_FOUND,
                {"order_id": identifier},
            )
        case NotFoundError(identifier=identifier):
            return _status(
                grpc.StatusCode.NOT_FOUND,
                str(error),
                errors_pb2.CUSTOMER_NOT_FOUND,
                {"customer_id": identifier},
            )
        case ConsistencyNotReachedError():
            return _status(
                grpc.StatusCode.DEADLINE_EXCEEDED,
                str(error),
                errors_pb2.CONSISTENCY_NOT_REACHED,
                {
                    "stream": error.stream,
                    "min_revision": str(error.revision),
                    "min_commit_position": str(error.commit_position),
                    "projected_commit_position": str(error.projected_commit_position),
                },
            )
        case ConnectionFailure() | PyMongoError(timeout=True):
            return _status(
                grpc.StatusCode.UNAVAILABLE,
                "the read store (MongoDB) is unavailable; retry with backoff",
                errors_pb2.READ_STORE_UNAVAILABLE,
                {},
            )
        case _:
            return _status(
                grpc.StatusCode.INTERNAL,
                "internal error; it was logged with the correlation id",
                errors_pb2.INTERNAL_ERROR,
                {},
            )


def _status(
    code: grpc.StatusCode,
    message: str,
    reason: errors_pb2.ErrorReason.ValueType,
    metadata: dict[str, str],
    *extra: Any,
) -> status_pb2.Status:
    details = []
    info = error_details_pb2.ErrorInfo(
        reason=errors_pb2.ErrorReason.Name(reason), domain=_DOMAIN, metadata=metadata
    )
    for detail in (info, *extra):
        packed = any_pb2.Any()
        packed.Pack(detail)
        details.append(packed)
    return status_pb2.Status(code=code.value[0], message=message, details=details)


def _correlation_id(context: Context) -> str:
    for key, value in context.invocation_metadata() or ():
        if key == CORRELATION_HEADER and isinstance(value, str) and value:
            return value[:128]
    return str(uuid.uuid4())


def _log_failure(error: Exception, status: status_pb2.Status, seconds: float) -> None:
    code = grpc.StatusCode(next(c for c in grpc.StatusCode if c.value[0] == status.code))
    fields = {"code": code.name, "reason": _reason(status), "duration_ms": round(seconds * 1000, 1)}
    if code is grpc.StatusCode.INTERNAL:
        _log.error("rpc failed", exc_info=error, **fields)
    elif code is grpc.StatusCode.UNAVAILABLE:
        _log.warning("rpc failed", error=str(error), **fields)
    else:
        _log.info("rpc refused", message=status.message, **fields)


def _reason(status: status_pb2.Status) -> str:
    info = error_details_pb2.ErrorInfo()
    for detail in status.details:
        if detail.Unpack(info):
            return str(info.reason)
    return ""


def _millis(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
