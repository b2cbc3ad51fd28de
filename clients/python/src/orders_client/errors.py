"""Failed calls as typed exceptions: the gRPC code, the ErrorInfo reason and metadata, and
every BadRequest field violation of the google.rpc.Status the services send (errors.proto)."""

# The exceptions are named after the reasons they carry (OrderNotFound for ORDER_NOT_FOUND), as
# callers read them in `except` clauses; an "Error" suffix on each would only add noise.
# ruff: noqa: N818

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeAlias

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from orders.v1 import errors_pb2

ErrorReason: TypeAlias = errors_pb2.ErrorReason.ValueType
DOMAIN = "orders.v1"


@dataclass(frozen=True, slots=True)
class FieldViolation:
    field: str
    description: str


class OrdersError(Exception):
    """A call the services refused; subclasses name the reason's family (`except NotFound`)."""

    def __init__(
        self,
        code: grpc.StatusCode,
        reason: ErrorReason,
        message: str,
        *,
        reason_name: str = "",
        metadata: Mapping[str, str] | None = None,
        field_violations: tuple[FieldViolation, ...] = (),
    ) -> None:
        super().__init__(f"{code.name} {reason_name or 'no reason'}: {message}")
        self.code = code
        self.reason = reason
        # The reason as sent: a newer server's reason this library does not know keeps its name.
        self.reason_name = reason_name
        self.message = message
        self.metadata: Mapping[str, str] = dict(metadata or {})
        self.field_violations = field_violations

    @property
    def violations(self) -> dict[str, str]:
        """Description per violated field path, e.g. "lines[0].quantity"."""
        return {v.field: v.description for v in self.field_violations}


class ValidationFailed(OrdersError):
    """INVALID_ARGUMENT: see field_violations (or violations) for every bad field."""


class InvalidRequest(ValidationFailed): ...


class NotFound(OrdersError): ...


class OrderNotFound(NotFound): ...


class CustomerNotFound(NotFound): ...


class ParkedEventNotFound(NotFound): ...


class AlreadyExists(OrdersError): ...


class OrderAlreadyExists(AlreadyExists): ...


class CustomerAlreadyExists(AlreadyExists): ...


class IdempotencyKeyReused(AlreadyExists): ...


class Refused(OrdersError):
    """FAILED_PRECONDITION: not allowed in the current state; not retryable as is."""


class IllegalTransition(Refused): ...


class RebuildInProgress(Refused): ...


class ConcurrencyConflict(OrdersError): ...


class Unavailable(OrdersError):
    """The service or its store could not be reached (after this library's retries)."""


class EventStoreUnavailable(Unavailable): ...


class ReadStoreUnavailable(Unavailable): ...


class ServiceStopping(Unavailable): ...


class DeadlineExceeded(OrdersError): ...


class ConsistencyNotReached(DeadlineExceeded): ...


class InternalError(OrdersError): ...


class StreamUnreadable(OrdersError): ...


class Unauthenticated(OrdersError): ...


class TokenMissing(Unauthenticated): ...


class TokenExpired(Unauthenticated): ...


class TokenInvalid(Unauthenticated): ...


class PermissionDenied(OrdersError): ...


class ScopeInsufficient(PermissionDenied): ...


class CustomerMismatch(PermissionDenied): ...


_BY_REASON: dict[ErrorReason, type[OrdersError]] = {
    errors_pb2.INVALID_REQUEST: InvalidRequest,
    errors_pb2.ORDER_NOT_FOUND: OrderNotFound,
    errors_pb2.CUSTOMER_NOT_FOUND: CustomerNotFound,
    errors_pb2.ORDER_ALREADY_EXISTS: OrderAlreadyExists,
    errors_pb2.CUSTOMER_ALREADY_EXISTS: CustomerAlreadyExists,
    errors_pb2.IDEMPOTENCY_KEY_REUSED: IdempotencyKeyReused,
    errors_pb2.ILLEGAL_TRANSITION: IllegalTransition,
    errors_pb2.CONCURRENCY_CONFLICT: ConcurrencyConflict,
    errors_pb2.EVENT_STORE_UNAVAILABLE: EventStoreUnavailable,
    errors_pb2.READ_STORE_UNAVAILABLE: ReadStoreUnavailable,
    errors_pb2.SERVICE_STOPPING: ServiceStopping,
    errors_pb2.CONSISTENCY_NOT_REACHED: ConsistencyNotReached,
    errors_pb2.INTERNAL_ERROR: InternalError,
    errors_pb2.STREAM_UNREADABLE: StreamUnreadable,
    errors_pb2.PARKED_EVENT_NOT_FOUND: ParkedEventNotFound,
    errors_pb2.REBUILD_IN_PROGRESS: RebuildInProgress,
    errors_pb2.TOKEN_MISSING: TokenMissing,
    errors_pb2.TOKEN_EXPIRED: TokenExpired,
    errors_pb2.TOKEN_INVALID: TokenInvalid,
    errors_pb2.SCOPE_INSUFFICIENT: ScopeInsufficient,
    errors_pb2.CUSTOMER_MISMATCH: CustomerMismatch,
}

# Failures without an ErrorInfo (the transport's own, or a newer server's unknown reason).
_BY_CODE: dict[grpc.StatusCode, type[OrdersError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: ValidationFailed,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.FAILED_PRECONDITION: Refused,
    grpc.StatusCode.ABORTED: ConcurrencyConflict,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
    grpc.StatusCode.INTERNAL: InternalError,
    grpc.StatusCode.DATA_LOSS: StreamUnreadable,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
}


def error_class(reason: ErrorReason) -> type[OrdersError]:
    return _BY_REASON.get(reason, OrdersError)


def from_rpc_error(error: grpc.aio.AioRpcError) -> OrdersError:
    """The typed exception for a failed call, decoded from its grpc-status-details-bin."""
    code = error.code()
    status = rpc_status.from_call(error)
    info = error_details_pb2.ErrorInfo()
    bad_request = error_details_pb2.BadRequest()
    for detail in status.details if status is not None else ():
        if detail.Is(info.DESCRIPTOR):
            detail.Unpack(info)
        elif detail.Is(bad_request.DESCRIPTOR):
            detail.Unpack(bad_request)
    reason = errors_pb2.ERROR_REASON_UNSPECIFIED
    if info.domain == DOMAIN and info.reason in errors_pb2.ErrorReason.keys():  # noqa: SIM118
        reason = errors_pb2.ErrorReason.Value(info.reason)
    cls = _BY_REASON.get(reason) or _BY_CODE.get(code, OrdersError)
    return cls(
        code,
        reason,
        status.message if status is not None else (error.details() or ""),
        reason_name=info.reason,
        metadata=dict(info.metadata),
        field_violations=tuple(
            FieldViolation(v.field, v.description) for v in bad_request.field_violations
        ),
    )
