"""Persistent subscriptions (consumer groups) of the embedded event store.

`add_to_server(server, storage)` registers the PersistentSubscriptions service and returns
an async `close()` for the server assembly to await after the gRPC server has stopped:
it writes each group's latest checkpoint, so a clean restart redelivers nothing that was
acknowledged. Group definitions, checkpoints and parked messages live in the `ps_` tables
of the event log's SQLite file (see `store.py`), so all of them survive a restart.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import grpc
from kurrentdbclient.protos.v1 import persistent_pb2_grpc

from eventstore_lite.persistent.registry import GroupRegistry
from eventstore_lite.persistent.service import PersistentSubscriptions
from eventstore_lite.storage import EventStorage

__all__ = ["add_to_server"]


def add_to_server(server: grpc.aio.Server, storage: EventStorage) -> Callable[[], Awaitable[None]]:
    registry = GroupRegistry(storage)
    persistent_pb2_grpc.add_PersistentSubscriptionsServicer_to_server(  # type: ignore[no-untyped-call]
        PersistentSubscriptions(registry), server
    )
    return registry.close
