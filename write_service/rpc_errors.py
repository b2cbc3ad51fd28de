"""The write side's error table: its failures to their gRPC codes and ``ErrorInfo`` reasons.

Reasons are the names of ``orders.v1.ErrorReason``; the code of each reason is fixed there. The
runtime's error status builds the ``google.rpc.Status`` and answers whatever is not here
(``INTERNAL``, never ``UNKNOWN``).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Final

import grpc

from orders.v1 import errors_pb2, types_pb2
from orders_runtime.error_status import ErrorReply, Reason
from write_service.command_handler import (
    ConcurrencyConflictError,
    IdempotencyKeyReusedError,
    StoreUnavailableError,
)
from write_service.domain.commands import Command
from write_service.domain.refusal import DomainError, Refusal
from write_service.domain.status import Status
from write_service.forgetting import NoKeyStoreError
from write_service.messages import ORDER_STATUS
from write_service.stream_records import StreamUnreadableError
from write_service.validation import FieldViolation

# The ids of the command the current call carries (order_id, customer_id), which several
# reasons name in their metadata; set by the gRPC edge once it has made the command.
_COMMAND_IDS: ContextVar[tuple[tuple[str, str], ...]] = ContextVar("write_command_ids", default=())


class InvalidRequestError(Exception):
    def __init__(self, violations: Sequence[FieldViolation]) -> None:
        super().__init__("; ".join(f"{v.field}: {v.description}" for v in violations))
        self.violations = tuple(violations)


def name_in_errors(command: Command) -> None:
    """Remember the command's ids for the metadata of the call's error, if it fails."""
    ids = []
    for name in ("order_id", "customer_id"):
        value = getattr(command, name, None)
        if isinstance(value, str):
            ids.append((name, value))
    _COMMAND_IDS.set(tuple(ids))


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


def error_reply(error: Exception) -> ErrorReply | None:
    """The reply to a failed command; None for what the runtime answers (INTERNAL)."""
    match error:
        case InvalidRequestError(violations=violations):
            return ErrorReply(
                grpc.StatusCode.INVALID_ARGUMENT,
                errors_pb2.INVALID_REQUEST,
                f"invalid request: {error}",
                violations=violations,
            )
        case DomainError(reason=refusal, field=field, transition=transition):
            return _refused(error, _REFUSALS[refusal], field, transition)
        case IdempotencyKeyReusedError(key=key):
            return ErrorReply(
                grpc.StatusCode.ALREADY_EXISTS,
                errors_pb2.IDEMPOTENCY_KEY_REUSED,
                str(error),
                {"idempotency_key": key},
            )
        case ConcurrencyConflictError(stream=stream):
            return ErrorReply(
                grpc.StatusCode.ABORTED,
                errors_pb2.CONCURRENCY_CONFLICT,
                str(error),
                {"stream": stream},
            )
        case StreamUnreadableError(stream=stream, revision=revision, event_type=event_type):
            return ErrorReply(
                grpc.StatusCode.DATA_LOSS,
                errors_pb2.STREAM_UNREADABLE,
                str(error),
                {"stream": stream, "revision": str(revision), "event_type": event_type},
            )
        case NoKeyStoreError():
            return ErrorReply(
                grpc.StatusCode.FAILED_PRECONDITION, errors_pb2.INVALID_REQUEST, str(error)
            )
        case StoreUnavailableError():
            return ErrorReply(
                grpc.StatusCode.UNAVAILABLE,
                errors_pb2.EVENT_STORE_UNAVAILABLE,
                # The cause names internal hosts: it goes to the log, not to callers.
                "the event store is unavailable; retry with backoff and the same idempotency key",
            )
        case _:
            return None


def _refused(
    error: DomainError,
    row: _Row,
    field: str | None,
    transition: tuple[Status, Status] | None,
) -> ErrorReply:
    ids = dict(_COMMAND_IDS.get())
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
    return ErrorReply(row.code, row.reason, error.message, metadata, violations)
