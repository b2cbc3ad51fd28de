"""A projector replica as ``python -m projector`` assembles it, in the test's process; one that
exports its metrics to a registry of the test's."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from functools import partial
from typing import Any

from prometheus_client import CollectorRegistry

from orders_runtime.backoff import Backoff
from projector.admin_replica import Replica, ReplicaSettings, assembled_replica
from projector.batch_telemetry import BatchTelemetry
from projector.batch_writer import BatchWriter
from projector.consumer import BatchSettings
from projector.event_source import eventstore_client, read_revisions
from projector.stale_sessions import SWEEP_INTERVAL
from projector.subscription_group import GroupSettings
from tests.projector.projector_harness import Stores


@contextlib.asynccontextmanager
async def running_replica(
    stores: Stores, group: GroupSettings, **settings: Any
) -> AsyncIterator[Replica]:
    """The replica assembled (its start done); its consumption runs until the block ends.
    ``settings``: ``ReplicaSettings`` fields other than the tests' defaults (no server)."""
    eventstore = eventstore_client(stores.eventstore_uri)
    watch = eventstore_client(stores.eventstore_uri)
    await eventstore.connect()
    await watch.connect()

    def writer_for(version: int | None) -> BatchWriter:
        reader = partial(read_revisions, eventstore)
        return BatchWriter(stores.mongo, stores.database, reader, version=version)

    defaults = ReplicaSettings(
        group=group,
        batch=BatchSettings(),
        stall_seconds=30.0,
        max_lag_events=1000,
        host="127.0.0.1",
        port=None,
        backoff=Backoff(initial=0.05, maximum=0.5),
    )
    try:
        async with assembled_replica(
            eventstore,
            watch,
            stores.mongo,
            stores.database,
            writer_for,
            replace(defaults, **settings),
        ) as replica:
            task = asyncio.create_task(replica.consumption.run())
            try:
                yield replica
            finally:
                replica.consumption.stop()
                await asyncio.wait_for(task, 30)
    finally:
        await watch.close()
        await eventstore.close()


def replica_with_metrics(
    stores: Stores,
    group: GroupSettings,
    registry: CollectorRegistry,
    *,
    name: str | None = None,
    session_sweep_interval: float = SWEEP_INTERVAL,
) -> contextlib.AbstractAsyncContextManager[Replica]:
    return running_replica(
        stores,
        group,
        replica=name,
        observer=BatchTelemetry(registry, None),
        session_sweep_interval=session_sweep_interval,
    )


def sessions_killed(registry: CollectorRegistry, reason: str) -> float:
    value = registry.get_sample_value("orders_projector_sessions_killed_total", {"reason": reason})
    return value or 0.0
