"""The admin service's refusals, and its error table (see ``orders_runtime.error_status``)."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from kurrentdbclient import exceptions as kurrent
from pymongo.errors import PyMongoError

from orders.v1 import errors_pb2
from orders_runtime.error_status import ErrorReply
from projector.failures import is_infrastructure


@dataclass(frozen=True, slots=True)
class FieldViolation:
    field: str
    description: str


class InvalidAdminRequestError(Exception):
    def __init__(self, *violations: FieldViolation) -> None:
        super().__init__("; ".join(f"{v.field}: {v.description}" for v in violations))
        self.violations = violations


class ParkedEventNotFoundError(Exception):
    def __init__(self, parked_id: str) -> None:
        super().__init__(f"no parked event {parked_id!r}")
        self.parked_id = parked_id


class RebuildInProgressError(Exception):
    def __init__(self, building_version: int | None) -> None:
        where = "in this replica" if building_version is None else f"(v{building_version})"
        super().__init__(f"a rebuild is already under way {where}")
        self.building_version = building_version


def error_reply(error: Exception) -> ErrorReply | None:
    """The reply to a failed admin call; None for what the runtime answers (INTERNAL)."""
    match error:
        case InvalidAdminRequestError(violations=violations):
            return ErrorReply(
                grpc.StatusCode.INVALID_ARGUMENT,
                errors_pb2.INVALID_REQUEST,
                f"invalid request: {error}",
                violations=violations,
            )
        case ParkedEventNotFoundError(parked_id=parked_id):
            return ErrorReply(
                grpc.StatusCode.NOT_FOUND,
                errors_pb2.PARKED_EVENT_NOT_FOUND,
                str(error),
                {"parked_event_id": parked_id},
            )
        case RebuildInProgressError(building_version=version):
            return ErrorReply(
                grpc.StatusCode.FAILED_PRECONDITION,
                errors_pb2.REBUILD_IN_PROGRESS,
                str(error),
                {} if version is None else {"building_version": str(version)},
            )
        case PyMongoError() if is_infrastructure(error):
            # The cause names internal hosts: it goes to the log, not to callers.
            return ErrorReply(
                grpc.StatusCode.UNAVAILABLE,
                errors_pb2.READ_STORE_UNAVAILABLE,
                "the read store is unavailable; retry with backoff",
            )
        case kurrent.KurrentDBClientError() if is_infrastructure(error):
            return ErrorReply(
                grpc.StatusCode.UNAVAILABLE,
                errors_pb2.EVENT_STORE_UNAVAILABLE,
                "the event store is unavailable; retry with backoff",
            )
        case _:
            return None
