"""A failed call as the reason, the message and each field violation, for people and scripts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status


@dataclass(frozen=True, slots=True)
class FieldViolation:
    field: str
    description: str


@dataclass(frozen=True, slots=True)
class CallFailure:
    code: grpc.StatusCode
    message: str
    reason: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    violations: tuple[FieldViolation, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code.name,
                "reason": self.reason,
                "message": self.message,
                "metadata": self.metadata,
                "field_violations": [
                    {"field": v.field, "description": v.description} for v in self.violations
                ],
            }
        }

    def as_lines(self) -> list[str]:
        reason = f" {self.reason}" if self.reason else ""
        lines = [f"error: {self.code.name}{reason}: {self.message}"]
        lines += [f"  {v.field}: {v.description}" for v in self.violations]
        if self.code is grpc.StatusCode.UNAVAILABLE and not self.reason:
            lines.append("  is the service running? `make dev` starts the local stack")
        return lines


def describe(error: grpc.RpcError) -> CallFailure:
    """Read the google.rpc.Status details (ErrorInfo, BadRequest) of a failed call."""
    call: Any = error
    code: grpc.StatusCode = call.code()
    message: str = call.details() or ""
    try:
        status = rpc_status.from_call(call)
    except ValueError:
        status = None
    if status is None:
        return CallFailure(code=code, message=message)
    reason = ""
    metadata: dict[str, str] = {}
    violations: list[FieldViolation] = []
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        bad_request = error_details_pb2.BadRequest()
        if detail.Unpack(info):
            reason = info.reason
            metadata = dict(info.metadata)
        elif detail.Unpack(bad_request):
            violations += [
                FieldViolation(v.field, v.description) for v in bad_request.field_violations
            ]
    return CallFailure(code, status.message or message, reason, metadata, tuple(violations))
