"""The read side's error table: its failures to their gRPC codes and ``ErrorInfo`` reasons.

The status code is fixed per reason (see ErrorReason in errors.proto). The runtime's error
status builds the ``google.rpc.Status`` and answers whatever is not here (``INTERNAL``, logged
with the correlation id; never ``UNKNOWN``).
"""

from __future__ import annotations

import grpc
from pymongo.errors import ConnectionFailure, PyMongoError

from orders.v1 import errors_pb2
from orders_runtime.error_status import ErrorReply
from read_service.errors import ConsistencyNotReachedError, InvalidArgumentError, NotFoundError
from read_service.watch_hub import ServiceStoppingError


def error_reply(error: Exception) -> ErrorReply | None:
    match error:
        case InvalidArgumentError(violations=violations):
            return ErrorReply(
                grpc.StatusCode.INVALID_ARGUMENT,
                errors_pb2.INVALID_REQUEST,
                str(error),
                violations=violations,
            )
        case NotFoundError(kind="order", identifier=identifier):
            return ErrorReply(
                grpc.StatusCode.NOT_FOUND,
                errors_pb2.ORDER_NOT_FOUND,
                str(error),
                {"order_id": identifier},
            )
        case NotFoundError(identifier=identifier):
            return ErrorReply(
                grpc.StatusCode.NOT_FOUND,
                errors_pb2.CUSTOMER_NOT_FOUND,
                str(error),
                {"customer_id": identifier},
            )
        case ConsistencyNotReachedError():
            return ErrorReply(
                grpc.StatusCode.DEADLINE_EXCEEDED,
                errors_pb2.CONSISTENCY_NOT_REACHED,
                str(error),
                {
                    "stream": error.stream,
                    "min_revision": str(error.revision),
                    "min_commit_position": str(error.commit_position),
                    "projected_commit_position": str(error.projected_commit_position),
                },
            )
        case ServiceStoppingError():
            return ErrorReply(grpc.StatusCode.UNAVAILABLE, errors_pb2.SERVICE_STOPPING, str(error))
        case ConnectionFailure() | PyMongoError(timeout=True):
            return ErrorReply(
                grpc.StatusCode.UNAVAILABLE,
                errors_pb2.READ_STORE_UNAVAILABLE,
                "the read store (MongoDB) is unavailable; retry with backoff",
            )
        case _:
            return None
