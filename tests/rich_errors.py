"""Reading the google.rpc.Status details of a failed call, for the tests of both services."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status


@dataclass(frozen=True)
class RichError:
    code: grpc.StatusCode
    reason: str
    domain: str
    metadata: dict[str, str]
    violations: dict[str, str]
    # The violated fields in the order the service listed them.
    fields: list[str]
    message: str


def rich_error(error: grpc.aio.AioRpcError) -> RichError:
    status = rpc_status.from_call(error)
    assert status is not None, "every error carries a google.rpc.Status"
    info = error_details_pb2.ErrorInfo()
    bad_request = error_details_pb2.BadRequest()
    has_info = False
    for detail in status.details:
        if detail.Is(info.DESCRIPTOR):
            detail.Unpack(info)
            has_info = True
        elif detail.Is(bad_request.DESCRIPTOR):
            detail.Unpack(bad_request)
    assert has_info, "every error carries an ErrorInfo"
    return RichError(
        code=error.code(),
        reason=info.reason,
        domain=info.domain,
        metadata=dict(info.metadata),
        violations={v.field: v.description for v in bad_request.field_violations},
        fields=[v.field for v in bad_request.field_violations],
        message=status.message,
    )
