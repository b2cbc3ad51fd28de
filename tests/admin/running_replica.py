"""A projector replica as ``python -m projector`` assembles it, on free ports, with a stub of its
admin service."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial

import grpc

from orders.v1 import admin_pb2 as pb
from orders.v1 import admin_pb2_grpc as pb_grpc
from projector.admin_replica import Replica, ReplicaSettings, assembled_replica
from projector.batch_writer import BatchWriter
from projector.consumer import BatchSettings
from projector.event_source import eventstore_client, read_revisions
from projector.store_retry import Backoff
from projector.subscription_group import GroupSettings
from tests.projector.projector_harness import Stores
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
    eventstore = eventstore_client(stores.eventstore_uri)
    watch = eventstore_client(stores.eventstore_uri)
    await eventstore.connect()
    await watch.connect()

    def writer_for(version: int | None) -> BatchWriter:
        reader = partial(read_revisions, eventstore)
        return BatchWriter(stores.mongo, stores.database, reader, version=version)

    settings = ReplicaSettings(
        group=group,
        batch=BatchSettings(),
        stall_seconds=30.0,
        max_lag_events=max_lag_events,
        host="127.0.0.1",
        port=0,
        backoff=Backoff(initial=0.05, maximum=0.5),
        rebuild_grace=0.2,
        replica=name,
    )
    try:
        async with assembled_replica(
            eventstore, watch, stores.mongo, stores.database, writer_for, settings
        ) as replica:
            assert replica.server is not None
            task = asyncio.create_task(replica.consumption.run())
            channel = grpc.aio.insecure_channel(f"127.0.0.1:{replica.server.port}")
            try:
                yield AdminReplica(
                    replica, pb_grpc.ProjectionAdminServiceStub(channel), replica.server.port
                )
            finally:
                replica.consumption.stop()
                await asyncio.wait_for(task, 30)
                await channel.close()
    finally:
        await watch.close()
        await eventstore.close()


async def wait_until_consuming(replica: AdminReplica) -> None:
    async def running() -> bool:
        status = await replica.status()
        return all(m.state == pb.READ_MODEL_STATE_RUNNING for m in status.read_models)

    await wait_until(running, "the read models running")
