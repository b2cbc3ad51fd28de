"""Python client library of the orders services (asyncio, grpc.aio).

    async with OrdersClient.connect("127.0.0.1:50051", "127.0.0.1:50052") as client:
        session = client.session()
        placed = await session.commands.place_order(PlaceOrderRequest(...))
        summary = await session.queries.get_order_summary(GetOrderSummaryRequest(...))

Commands get an idempotency key unless they carry one and are retried on UNAVAILABLE; failures
raise an OrdersError subclass per reason; money is shown with ISO 4217 minor units.
"""

from orders_client.client import OrdersClient
from orders_client.commands import Commands, new_idempotency_key
from orders_client.errors import (
    AlreadyExists,
    ConcurrencyConflict,
    ConsistencyNotReached,
    CustomerAlreadyExists,
    CustomerMismatch,
    CustomerNotFound,
    DeadlineExceeded,
    EventStoreUnavailable,
    FieldViolation,
    IdempotencyKeyReused,
    IllegalTransition,
    InternalError,
    InvalidRequest,
    NotFound,
    OrderAlreadyExists,
    OrderNotFound,
    OrdersError,
    ParkedEventNotFound,
    PermissionDenied,
    ReadStoreUnavailable,
    RebuildInProgress,
    Refused,
    ScopeInsufficient,
    ServiceStopping,
    StreamUnreadable,
    TokenExpired,
    TokenInvalid,
    TokenMissing,
    Unauthenticated,
    Unavailable,
    ValidationFailed,
    error_class,
    from_rpc_error,
)
from orders_client.money import format_amount, minor_units, to_decimal, to_minor
from orders_client.money_messages import exact_minor, format_money, to_money
from orders_client.queries import Queries
from orders_client.retrying import NO_RETRY, RetryPolicy
from orders_client.session import Session

__all__ = [
    "NO_RETRY",
    "AlreadyExists",
    "Commands",
    "ConcurrencyConflict",
    "ConsistencyNotReached",
    "CustomerAlreadyExists",
    "CustomerMismatch",
    "CustomerNotFound",
    "DeadlineExceeded",
    "EventStoreUnavailable",
    "FieldViolation",
    "IdempotencyKeyReused",
    "IllegalTransition",
    "InternalError",
    "InvalidRequest",
    "NotFound",
    "OrderAlreadyExists",
    "OrderNotFound",
    "OrdersClient",
    "OrdersError",
    "ParkedEventNotFound",
    "PermissionDenied",
    "Queries",
    "ReadStoreUnavailable",
    "RebuildInProgress",
    "Refused",
    "RetryPolicy",
    "ScopeInsufficient",
    "ServiceStopping",
    "Session",
    "StreamUnreadable",
    "TokenExpired",
    "TokenInvalid",
    "TokenMissing",
    "Unauthenticated",
    "Unavailable",
    "ValidationFailed",
    "error_class",
    "exact_minor",
    "format_amount",
    "format_money",
    "from_rpc_error",
    "minor_units",
    "new_idempotency_key",
    "to_decimal",
    "to_minor",
    "to_money",
]
