"""One projector replica put together: its consumption (following the group's pause), the
parked-event record, and its gRPC server with health and the admin service.

The composition root (``__main__``) builds one from the settings; tests build one on free ports.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from kurrentdbclient import AsyncKurrentDBClient
from pymongo import AsyncMongoClient

from orders_runtime.backoff import Backoff
from orders_runtime.call_chain import Interceptor
from orders_runtime.tls import TlsFiles
from projector.admin_consumption import Consumption
from projector.admin_control import Control
from projector.admin_rebuild import RebuildJobs
from projector.admin_service import Admin
from projector.admin_status import StatusReader
from projector.analytics_fold import FOLD_GRACE, fold_on_stop
from projector.analytics_orphans import ORPHAN_FOLD_INTERVAL, fold_orphans_every
from projector.batch_telemetry import BatchObserver
from projector.batch_writer import BatchWriter
from projector.consumer import BatchSettings, Consumer
from projector.durable import durable
from projector.failures import describe
from projector.health_server import ProjectorServer, serve_projector
from projector.parked import ParkedEvents
from projector.projector_state import StateBoard
from projector.rebuild import rebuild
from projector.stale_sessions import SWEEP_INTERVAL, Owner, SessionBook, end_gone_every
from projector.subscription_group import GroupSettings

log = structlog.get_logger("projector")


@dataclass(frozen=True)
class ReplicaSettings:
    group: GroupSettings
    batch: BatchSettings
    stall_seconds: float
    max_lag_events: int
    host: str
    port: int | None
    """The gRPC server's port (0 picks one); None runs no server."""
    backoff: Backoff | None = None
    rebuild_grace: float = 1.0
    replica: str | None = None
    """The replica's id; host and process id by default (tests run several in one process)."""
    observer: BatchObserver | None = None
    """Metrics and traces of each batch."""
    guards: Sequence[Interceptor] = ()
    """Authentication of the gRPC server's callers (``orders_runtime.auth_setup``)."""
    tls: TlsFiles | None = None
    fold_grace: float = FOLD_GRACE
    """Seconds the fold of the replica's analytics shards may take when it stops."""
    orphan_fold_interval: float = ORPHAN_FOLD_INTERVAL
    """Seconds between two looks for the analytics shards of replicas that are gone."""
    session_sweep_interval: float = SWEEP_INTERVAL
    """Seconds between two looks for the transactions of replicas that are gone."""


@dataclass
class Replica:
    board: StateBoard
    consumption: Consumption
    server: ProjectorServer | None


@contextlib.asynccontextmanager
async def assembled_replica(
    eventstore: AsyncKurrentDBClient,
    watch: AsyncKurrentDBClient,
    mongo: AsyncMongoClient[dict[str, Any]],
    database: str,
    writer_for: Callable[[int | None], BatchWriter],
    settings: ReplicaSettings,
) -> AsyncIterator[Replica]:
    """The replica, its server started; ``consumption.run()`` is the caller's to run. While it
    is up, it folds the analytics shards of replicas that are gone (``analytics_orphans``). On
    exit, if that run ended, the replica's own shards are folded (``analytics_fold``); then a
    rebuild in progress is waited for and the server drained."""
    db = durable(mongo[database])
    board = StateBoard(settings.replica)
    control, parked = Control(db), ParkedEvents(db)
    await parked.ensure_indexes()
    writer = writer_for(None)
    # Analytics documents of the replica's own: its batches never conflict with another's on them.
    writer.shard = board.replica
    sessions = SessionBook(
        mongo,
        database,
        Owner.this_process(board.replica),
        settings.observer.sessions_killed if settings.observer else None,
    )
    writer.record_session = sessions.record
    # Before taking events: those a replica killed on this host held are redelivered to us, and
    # its open transactions hold their documents (``stale_sessions``).
    try:
        await sessions.end_dead_here()
    except Exception as error:
        log.warning("sessions of dead replicas not ended", reason=describe(error))

    def make_consumer() -> Consumer:
        # A board per consumer, passing its changes on to the replica's: what a consumer makes
        # listens to its board for good, so one board shared across pause and resume would
        # gather a listener per resume.
        own = StateBoard(board.replica)
        own.listen(lambda report: board.set(report.state, report.reason))
        return Consumer(
            eventstore,
            db,
            writer,
            settings.group,
            settings.batch,
            board=own,
            stall_seconds=settings.stall_seconds,
            watch_eventstore=watch,
            backoff=settings.backoff,
            on_parked=parked.record,
            observer=settings.observer,
        )

    consumption = Consumption(make_consumer, control, board)
    rebuilds = RebuildJobs(
        db,
        lambda tell: rebuild(
            eventstore, writer_for, db, on_progress=tell, grace=settings.rebuild_grace
        ),
    )
    server = None
    if settings.port is not None:
        operations = Admin(
            eventstore=eventstore,
            mongo=mongo,
            database=database,
            writer_for=writer_for,
            control=control,
            parked=parked,
            status=StatusReader(db, eventstore, control, parked, settings.max_lag_events),
            rebuilds=rebuilds,
        )
        server = await serve_projector(
            board,
            settings.host,
            settings.port,
            admin=operations,
            guards=settings.guards,
            tls=settings.tls,
        )
    orphans = asyncio.create_task(
        fold_orphans_every(settings.orphan_fold_interval, mongo, database, board.replica, control)
    )
    sweep = asyncio.create_task(end_gone_every(settings.session_sweep_interval, sessions, control))
    try:
        yield Replica(board, consumption, server)
    finally:
        orphans.cancel()
        sweep.cancel()
        # Waited for without raising their cancellation, which is not the caller's.
        await asyncio.wait({orphans, sweep})
        if consumption.ended:
            # Its last batch committed: taken for gone now, its sessions would be killed for
            # nothing (the fold's are not recorded).
            with contextlib.suppress(Exception):
                await sessions.forget_own()
            await fold_on_stop(mongo, database, writer.shard, settings.fold_grace)
        await rebuilds.close()
        if server is not None:
            await server.stop(grace=1)
