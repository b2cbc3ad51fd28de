"""Exit codes of `orders`, one per class of failure, so scripts can branch on them."""

from __future__ import annotations

from enum import IntEnum

import grpc


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1
    USAGE = 2
    PORT_IN_USE = 3
    INVALID_ARGUMENT = 4
    NOT_FOUND = 5
    CONFLICT = 6
    REFUSED = 7
    UNAVAILABLE = 8
    DEADLINE_EXCEEDED = 9


_BY_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: ExitCode.INVALID_ARGUMENT,
    grpc.StatusCode.OUT_OF_RANGE: ExitCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND: ExitCode.NOT_FOUND,
    grpc.StatusCode.ALREADY_EXISTS: ExitCode.CONFLICT,
    grpc.StatusCode.ABORTED: ExitCode.CONFLICT,
    grpc.StatusCode.FAILED_PRECONDITION: ExitCode.REFUSED,
    grpc.StatusCode.UNAVAILABLE: ExitCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED: ExitCode.DEADLINE_EXCEEDED,
}


def exit_code_for(status: grpc.StatusCode) -> ExitCode:
    return _BY_STATUS.get(status, ExitCode.FAILURE)
