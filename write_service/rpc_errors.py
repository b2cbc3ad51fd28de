"""The one table from failures to gRPC statuses: ``google.rpc.Status`` with an ``ErrorInfo``.

Reasons are the names of ``orders.v1.ErrorReason``; the code of each reason is fixed there.
Nothing maps to UNKNOWN: whatever is not in the table is INTERNAL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, TypeAlias

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

from orders.v1 import errors_pb2, types_pb2
from orders_runtime.undecodable_requests import UndecodableRequestError
from write_service.command_handler import (
    ConcurrencyConflictError,
    IdempotencyKeyReusedError,
    StoreUnavailableError,
)
from write_service.domain.refusal import DomainError, Refusal
from write_service.messages import ORDER_STATUS
from write_service.stream_records import StreamUnreadableError
from write_service.validation import FieldViolation

DOMAIN: Final = "orders.v1"
Reason: TypeAlias = errors_pb2.ErrorReason.ValueType


class InvalidRequestError(Exception):
    def __init__(self, violations: Sequence[FieldViolation]) -> None:
        super().__init__("; ".join(f"{v.field}: {v.description}" for v in violations))
        self.violations = tuple(violations)


@dataclass(frozen=True, slots=True)
class _Row:
    code: grpc.StatusCode
    reason: Reason


_REFUSALS: Final[dict[Refusal, _Row]] = {
    Refusal.CUSTOMER_ALREADY_EXISTS: _Row(
        grpc.StatusCode.ALREADY_EXISTS, errors_pb2.CUSTOMER_ALREADY_EXISTS
    ),
    Refusal.ORDER_ALREADY_EXISTS: _Row(
        grpc.StatusCode.ALREADY_EXISTS, errors_pb2.ORDER_ALREADY_EXISTS
    ),
    Refusal.CUSTOMER_NOT_FOUND: _Row(grpc.StatusCode.NOT_FOUND, errors_pb2.CUSTOMER_NOT_FOUND),
    Refusal.ORDER_NOT_FOUND: _Row(grpc.StatusCode.NOT_FOUND, errors_pb2.ORDER_NOT_FOUND),
    # The payment must equal the order total: a bad request, reported on its field.
    Refusal.PAYMENT_AMOUNT_MISMATCH: _Row(
        grpc.StatusCode.INVALID_ARGUMENT, errors_pb2.INVALID_REQUEST
    ),
    Refusal.PAYMENT_CURRENCY_MISMATCH: _Row(
        grpc.StatusCode.INVALID_ARGUMENT, errors_pb2.INVALID_REQUEST
    ),
    **{
        refusal: _Row(grpc.StatusCode.FAILED_PRECONDITION, errors_pb2.ILLEGAL_TRANSITION)
        for refusal in (
            Refusal.ORDER_ALREADY_PAID,
            Refusal.ORDER_NOT_PAID,
            Refusal.ORDER_CANCELLED,
            Refusal.ORDER_NOT_SHIPPED,
            Refusal.ORDER_ALREADY_SHIPPED,
            Refusal.ORDER_ALREADY_DELIVERED,
        )
    },
}

# Which ids of the command each reason's ErrorInfo metadata names.
_ID_KEYS: Final[dict[Reason, tuple[str, ...]]] = {
    errors_pb2.CUSTOMER_ALREADY_EXISTS: ("customer_id",),
    errors_pb2.CUSTOMER_NOT_FOUND: ("customer_id",),
    errors_pb2.ORDER_ALREADY_EXISTS: ("order_id",),
    errors_pb2.ORDER_NOT_FOUND: ("order_id",),
    errors_pb2.ILLEGAL_TRANSITION: ("order_id",),
}


def to_rpc_status(error: BaseException, ids: Mapping[str, str]) -> status_pb2.Status:
    """The status a failed command answers with; ``ids`` are the command's ids, for metadata."""
    match error:
        case InvalidRequestError(violations=violations):
            return _status(
                grpc.StatusCode.INVALID_ARGUMENT,
                errors_pb2.INVALID_REQUEST,
                f"invalid request: {error}",
                violations=violations,
            )
        case UndecodableRequestError():
            # No field can be named: the bytes are not a message of the request's type.
            return _status(grpc.StatusCode.INVALID_ARGUMENT, errors_pb2.INVALID_REQUEST, str(error))
        case DomainError(reason=refusal, field=field, transition=transition):
            row = _REFUSALS[refusal]
            metadata = {key: ids[key] for key in _ID_KEYS.get(row.reason, ()) if key in ids}
            if transition is not None:
                current, requested = transition
                metadata["current_status"] = types_pb2.OrderStatus.Name(ORDER_STATUS[current])
                metadata["requested_status"] = types_pb2.OrderStatus.Name(ORDER_STATUS[requested])
            violations = (
                (FieldViolation(field, error.message),)
                if row.reason == errors_pb2.INVALID_REQUEST and field
                else ()
            )
            return _status(row.code, row.reason, error.message, metadata, violations)
        case IdempotencyKeyReusedError(key=key):
            return _status(
                grpc.StatusCode.ALREADY_EXISTS,
                errors_pb2.IDEMPOTENCY_KEY_REUSED,
                str(error),
                {"idempotency_key": key},
            )
        case ConcurrencyConflictError(stream=stream):
            return _status(
                grpc.StatusCode.ABORTED,
                errors_pb2.CONCURRENCY_CONFLICT,
                str(error),
                {"stream": stream},
            )
        case StreamUnreadableError(stream=stream, revision=revision, event_type=event_type):
            return _status(
                grpc.StatusCode.DATA_LOSS,
                errors_pb2.STREAM_UNREADABLE,
                str(error),
                {"stream": stream, "revision": str(revision), "event_type": event_type},
            )
        case StoreUnavailableError():
            return _status(
                grpc.StatusCode.UNAVAILABLE,
                errors_pb2.EVENT_STORE_UNAVAILABLE,
                # The cause names internal hosts: it goes to the log, not to callers.
                "the event store is unavailable; retry with backoff and the same idempotency key",
            )
        case _:
            return _status(
                grpc.StatusCode.INTERNAL, errors_pb2.INTERNAL_ERROR, "internal error (logged)"
            )


def _status(
    code: grpc.StatusCode,
    reason: Reason,
    message: str,
    metadata: Mapping[str, str] | None = None,
    violations: Sequence[FieldViolation] = (),
) -> status_pb2.Status:
    details = [
        _pack(
            error_details_pb2.ErrorInfo(
                reason=errors_pb2.ErrorReason.Name(reason), domain=DOMAIN, metadata=metadata or {}
            )
        )
    ]
    if violations:
        bad_request = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(
                    field=violation.field, description=violation.description
                )
                for violation in violations
            ]
        )
        details.append(_pack(bad_request))
    return status_pb2.Status(code=code.value[0], message=message, details=details)


def _pack(message: error_details_pb2.ErrorInfo | error_details_pb2.BadRequest) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed
