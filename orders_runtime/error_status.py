"""Every failure of a call as a ``google.rpc.Status``: the one place exceptions become statuses.

A service supplies only its table (``ErrorTable``): its own exceptions to the code, the
``orders.v1.ErrorReason``, the message, the ``ErrorInfo`` metadata and the ``BadRequest`` field
violations they answer with. What no table knows gets the same answer on every server: a request
whose bytes do not decode is ``INVALID_ARGUMENT`` / ``INVALID_REQUEST``, and anything else is
``INTERNAL`` / ``INTERNAL_ERROR`` (the request log line carries its stack trace). Nothing is
ever answered ``UNKNOWN``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, NoReturn, Protocol, TypeAlias

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from orders.v1 import errors_pb2
from orders_runtime.undecodable_requests import UndecodableRequestError

if TYPE_CHECKING:
    from orders_runtime.call_chain import Call, Context, Handle

DOMAIN: Final = "orders.v1"
Reason: TypeAlias = errors_pb2.ErrorReason.ValueType


class Violation(Protocol):
    """One bad field of a request: its path (``lines[2].quantity``) and what is wrong with it."""

    @property
    def field(self) -> str: ...

    @property
    def description(self) -> str: ...


@dataclass(frozen=True, slots=True)
class ErrorReply:
    code: grpc.StatusCode
    reason: Reason
    # For people; callers branch on the reason.
    message: str
    metadata: Mapping[str, str] = field(default_factory=dict)
    violations: Sequence[Violation] = ()


# A service's table: the reply for each exception it knows, None for any other.
ErrorTable: TypeAlias = Callable[[Exception], ErrorReply | None]

INTERNAL_ERROR: Final = ErrorReply(
    grpc.StatusCode.INTERNAL,
    errors_pb2.INTERNAL_ERROR,
    "internal error; it was logged with the correlation id",
)


def error_reply(error: Exception, table: ErrorTable) -> ErrorReply:
    """The reply to ``error``: the service's table first, then what every server answers."""
    reply = table(error)
    if reply is not None:
        return reply
    if isinstance(error, UndecodableRequestError):
        # No field can be named: the bytes are not a message of the request's type.
        return ErrorReply(grpc.StatusCode.INVALID_ARGUMENT, errors_pb2.INVALID_REQUEST, str(error))
    return INTERNAL_ERROR


def status_of(reply: ErrorReply) -> status_pb2.Status:
    details: list[Message] = [
        error_details_pb2.ErrorInfo(
            reason=errors_pb2.ErrorReason.Name(reply.reason),
            domain=DOMAIN,
            metadata=reply.metadata,
        )
    ]
    if reply.violations:
        details.append(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(
                        field=violation.field, description=violation.description
                    )
                    for violation in reply.violations
                ]
            )
        )
    return status_pb2.Status(
        code=reply.code.value[0], message=reply.message, details=[_packed(d) for d in details]
    )


def _packed(detail: Message) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(detail)
    return packed


class ErrorStatus:
    """The chain's layer that answers every exception leaving the layers inside it."""

    def __init__(self, table: ErrorTable) -> None:
        self._table = table

    def wrap(self, inner: Handle) -> Handle:
        async def handle(request: Any, context: Context, call: Call) -> Any:
            try:
                return await inner(request, context, call)
            except grpc.aio.AbortError:
                raise  # the call already has its status
            except Exception as error:
                await self._abort(context, call, error)

        return handle

    async def _abort(self, context: Context, call: Call, error: Exception) -> NoReturn:
        try:
            reply = error_reply(error, self._table)
        except Exception as broken:  # a bug like any other; its context shows the first
            reply, error = INTERNAL_ERROR, broken
        call.failure, call.reason = error, errors_pb2.ErrorReason.Name(reply.reason)
        status = rpc_status.to_status(status_of(reply))
        # Aborting replaces the trailing metadata; keep what outer layers put there.
        await context.abort(
            status.code,
            status.details,
            (*(context.trailing_metadata() or ()), *status.trailing_metadata),
        )
