"""The edge's one error table: every failure of a query as a google.rpc.Status with ErrorInfo.

The status code is fixed per ErrorInfo reason (see ErrorReason in errors.proto); nothing leaves
as UNKNOWN: an unexpected failure is INTERNAL_ERROR, logged with the correlation id.
"""

from __future__ import annotations

from typing import Any, Final

import grpc
import structlog
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from pymongo.errors import ConnectionFailure, PyMongoError

from orders.v1 import errors_pb2
from orders_runtime.undecodable_requests import UndecodableRequestError
from read_service.errors import ConsistencyNotReachedError, InvalidArgumentError, NotFoundError

_log = structlog.get_logger(__name__)

_DOMAIN: Final = "orders.v1"


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
        case UndecodableRequestError():
            # No field can be named: the bytes are not a message of the request's type.
            return _status(
                grpc.StatusCode.INVALID_ARGUMENT, str(error), errors_pb2.INVALID_REQUEST, {}
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


def log_failure(error: Exception, status: status_pb2.Status, seconds: float) -> None:
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
