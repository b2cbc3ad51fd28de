"""One look at the projection through the admin service, and the rates between two looks."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any, Final

import grpc
from google.protobuf.json_format import MessageToDict

from orders.v1 import admin_pb2 as pb
from orders.v1 import admin_pb2_grpc as pb_grpc
from orders_cli.client_security import client_security

ADMIN_ADDR_VAR: Final = "ORDERS_ADMIN_ADDR"
# The projector's gRPC port in the dev stack (PROJECTOR_HEALTH_PORT).
DEFAULT_ADMIN_ADDR: Final = "127.0.0.1:50053"
# Parked events shown (the list RPC pages; the status shows how many there are in all).
PARKED_SHOWN: Final = 20


def default_admin_addr() -> str:
    return os.environ.get(ADMIN_ADDR_VAR) or DEFAULT_ADMIN_ADDR


@dataclass(frozen=True)
class Snapshot:
    status: pb.GetProjectionStatusResponse
    parked: pb.ListParkedEventsResponse
    taken_at: float = field(default_factory=time.monotonic)

    def as_json(self) -> dict[str, Any]:
        return {
            "status": _as_dict(self.status),
            "parked": _as_dict(self.parked),
        }


def _as_dict(message: Any) -> dict[str, Any]:
    found: dict[str, Any] = MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    return found


def take(stub: pb_grpc.ProjectionAdminServiceStub, timeout: float) -> Snapshot:
    status = stub.GetProjectionStatus(pb.GetProjectionStatusRequest(), timeout=timeout)
    parked = stub.ListParkedEvents(
        pb.ListParkedEventsRequest(page_size=PARKED_SHOWN), timeout=timeout
    )
    return Snapshot(status, parked)


def rates(previous: Snapshot | None, current: Snapshot) -> dict[str, float]:
    """Events applied per second per read model since the previous snapshot (none at first)."""
    if previous is None:
        return {}
    elapsed = current.taken_at - previous.taken_at
    if elapsed <= 0:
        return {}
    before = {m.name: m.events_applied for m in previous.status.read_models}
    return {
        m.name: max(0, m.events_applied - before.get(m.name, m.events_applied)) / elapsed
        for m in current.status.read_models
    }


def open_admin(address: str) -> tuple[grpc.Channel, pb_grpc.ProjectionAdminServiceStub]:
    # TLS and a token as for the services (the dev stack's own, or ORDERS_CA_FILE/ORDERS_TOKEN).
    channel = client_security(os.environ).channel(address)
    return channel, pb_grpc.ProjectionAdminServiceStub(channel)
