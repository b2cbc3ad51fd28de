"""The refusals of authentication and authorization, and their answers: the same on every
server, so the runtime's error status answers them after the service's own table."""

from __future__ import annotations

from typing import Final, Literal, TypeAlias

import grpc

from orders.v1 import errors_pb2
from orders_runtime.error_status import ErrorReply, ErrorTable

TokenProblem: TypeAlias = Literal["missing", "expired", "invalid"]

_TOKEN_REASONS: Final = {
    "missing": errors_pb2.TOKEN_MISSING,
    "expired": errors_pb2.TOKEN_EXPIRED,
    "invalid": errors_pb2.TOKEN_INVALID,
}
_TOKEN_MESSAGES: Final = {
    "missing": "this call needs a bearer token: send 'authorization: Bearer <JWT>'",
    "expired": "the bearer token has expired: get a new one",
    # Which check failed is logged, not told: it would help a forger more than a caller.
    "invalid": "the bearer token is not accepted by this service",
}


class UnauthenticatedError(Exception):
    """No token, or one that does not verify. ``detail`` is for the log only."""

    def __init__(self, problem: TokenProblem, detail: str = "") -> None:
        super().__init__(detail or problem)
        self.problem = problem
        self.detail = detail


class ScopeInsufficientError(Exception):
    def __init__(self, required_scope: str) -> None:
        super().__init__(f"this call needs the scope {required_scope!r}")
        self.required_scope = required_scope


class CustomerMismatchError(Exception):
    """The token is bound to a customer and the call concerns another one, or all of them."""

    def __init__(self) -> None:
        super().__init__("the token is bound to another customer than this call concerns")


def auth_error_reply(error: Exception) -> ErrorReply | None:
    match error:
        case UnauthenticatedError(problem=problem):
            return ErrorReply(
                grpc.StatusCode.UNAUTHENTICATED, _TOKEN_REASONS[problem], _TOKEN_MESSAGES[problem]
            )
        case ScopeInsufficientError(required_scope=scope):
            return ErrorReply(
                grpc.StatusCode.PERMISSION_DENIED,
                errors_pb2.SCOPE_INSUFFICIENT,
                str(error),
                {"required_scope": scope},
            )
        case CustomerMismatchError():
            return ErrorReply(
                grpc.StatusCode.PERMISSION_DENIED, errors_pb2.CUSTOMER_MISMATCH, str(error)
            )
        case _:
            return None


def with_auth_errors(table: ErrorTable) -> ErrorTable:
    """``table``, then the answers to the guards' refusals."""

    def reply(error: Exception) -> ErrorReply | None:
        return table(error) or auth_error_reply(error)

    return reply
