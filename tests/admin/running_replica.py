"""A projector replica as ``python -m projector`` assembles it, on free ports, with a stub of its
admin service."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc

from orders.v1 import admin_pb2 as pb
from orders.v1 import admin_pb2_grpc as pb_grpc
from projector.admin_replica import Replica
from projector.subscription_group import GroupSettings
from tests.projector.projector_harness import Stores
from tests.projector.replica_with_metrics import running_replica
from tests.waiting import wait_until

ORDER_SUMMARIES_HEALTH = "orders.v1.ReadModel/order_summaries"


@dataclass
class AdminReplica:
    replica: Replica
    admin: pb_grpc.ProjectionAdminServiceAsyncStub
    port: int

    async def status(self) -> pb.GetProjectionStatusResponse:
        return await self.admin.GetProjectionStatus(pb.GetProjectionStatusRequest(), timeout=30)


@contextlib.asynccontextmanager
async def admin_replica(
    stores: Stores,
    group: GroupSettings,
    *,
    max_lag_events: int = 1000,
    name: str | None = None,
) -> AsyncIterator[AdminReplica]:
    async with running_replica(
        stores, group, port=0, max_lag_events=max_lag_events, rebuild_grace=0.2, replica=name
    ) as replica:
        assert replica.server is not None
        async with grpc.aio.insecure_channel(f"127.0.0.1:{replica.server.port}") as channel:
            yield AdminReplica(
                replica, pb_grpc.ProjectionAdminServiceStub(channel), replica.server.port
            )


async def wait_until_consuming(replica: AdminReplica) -> None:
    async def running() -> bool:
        status = await replica.status()
        return all(m.state == pb.READ_MODEL_STATE_RUNNING for m in status.read_models)

    await wait_until(running, "the read models running")
