"""Composition root:
``python -m projector [run|rebuild|status|rollback|drop-version N|verify [--repair]]``."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from collections.abc import Callable
from functools import partial
from typing import Any

import structlog
from kurrentdbclient import AsyncKurrentDBClient
from pymongo import AsyncMongoClient

from orders_runtime.auth_setup import guards_for, load_security, log_security
from orders_runtime.heap import settle_heap
from orders_runtime.logs import configure_logging
from orders_runtime.metrics_mongo import MongoCommandMetrics
from orders_runtime.security_settings import SecuritySettings
from orders_runtime.settings import load_settings
from orders_runtime.store_refusals import eventstore_refusal, mongo_refusal
from orders_runtime.telemetry import Telemetry, start_telemetry
from projector import admin
from projector.admin_replica import ReplicaSettings, assembled_replica
from projector.batch_telemetry import BatchTelemetry
from projector.batch_writer import BatchWriter
from projector.durable import durable
from projector.event_source import eventstore_client, read_revisions
from projector.rebuild import rebuild
from projector.settings import Settings
from projector.verify import DEFAULT_MAX_BEHIND
from projector.verify_report import run_verify_command
from projector.versions import ensure_collections, ensure_pointer, read_pointer

# How long the start waits to learn whether the stores accept our credentials; a store that
# does not answer in time is retried as usual instead.
_STORE_CHECK_SECONDS = 5.0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m projector")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="consume the persistent subscription (default)")
    commands.add_parser("rebuild", help="replay the store into a new version and switch to it")
    commands.add_parser("status", help="print the active version and projection status")
    commands.add_parser("rollback", help="switch back to the kept previous version")
    drop = commands.add_parser("drop-version", help="drop a version's collections")
    drop.add_argument("version", type=int)
    verify = commands.add_parser(
        "verify",
        help="compare the read models with a fresh fold of the events",
        description="Compare every read-model document of the active version with a fresh fold "
        "of its events; one JSON object per finding on stdout, then a summary. Exit 0: clean, "
        "1: divergent, 3: only documents behind by more than --max-behind seconds.",
    )
    verify.add_argument(
        "--repair", action="store_true", help="re-project what differs, then verify again"
    )
    verify.add_argument(
        "--max-behind",
        type=float,
        default=DEFAULT_MAX_BEHIND,
        metavar="SECONDS",
        help="report documents missing an event older than this (default %(default)g)",
    )
    return parser


async def _main(
    settings: Settings, security: SecuritySettings | None, args: argparse.Namespace
) -> int:
    command = args.command or "run"
    # Only the live projector serves metrics and traces; the one-shot commands print.
    live = command == "run"
    try:
        telemetry = start_telemetry(
            "projector",
            metrics_host=settings.metrics_host,
            metrics_port=settings.metrics_port if live else 0,
            otlp_endpoint=settings.otlp_endpoint if live else "",
        )
    except OSError as error:  # the metrics port is taken
        print(f"projector: cannot start: {error}", file=sys.stderr)
        return 1
    eventstore = eventstore_client(settings.eventstore_connection)
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.mongo_uri,
        tz_aware=True,
        event_listeners=[MongoCommandMetrics(telemetry.registry)],
        **settings.mongo_credentials,
    )
    db = durable(mongo[settings.mongo_database])
    writer_for: Callable[[int | None], BatchWriter] = lambda version: BatchWriter(  # noqa: E731
        mongo,
        settings.mongo_database,
        partial(read_revisions, eventstore),
        version=version,
        cache_size=settings.document_cache_size,
    )
    try:
        await eventstore.connect()
        refusal = await eventstore_refusal(eventstore, _STORE_CHECK_SECONDS) or await mongo_refusal(
            mongo, settings.mongo_database, _STORE_CHECK_SECONDS
        )
        if refusal is not None:
            structlog.get_logger("projector").error("cannot start", reason=refusal)
            return 1
        if command == "run":
            await ensure_pointer(db)
            pointer = await read_pointer(db)
            assert pointer is not None
            await ensure_collections(db, pointer["version"])
            await _run(settings, security, eventstore, mongo, writer_for, telemetry)
        elif command == "rebuild":
            version = await rebuild(eventstore, writer_for, db, show_progress=True)
            print(json.dumps({"active_version": version}))
        elif command == "status":
            print(json.dumps(await admin.status_report(db), default=str, indent=2))
        elif command == "rollback":
            version = await admin.rollback(eventstore, writer_for, db)
            print(json.dumps({"active_version": version}))
        elif command == "drop-version":
            await admin.drop(db, args.version)
            print(json.dumps({"dropped_version": args.version}))
        elif command == "verify":
            return await run_verify_command(
                eventstore,
                mongo,
                settings.mongo_database,
                repair=args.repair,
                max_behind=args.max_behind,
            )
    except admin.VersionError as error:
        print(str(error), file=sys.stderr)
        return 2
    finally:
        await eventstore.close()
        await mongo.close()
        telemetry.close()
    return 0


async def _run(
    settings: Settings,
    security: SecuritySettings | None,
    eventstore: AsyncKurrentDBClient,
    mongo: AsyncMongoClient[dict[str, Any]],
    writer_for: Callable[[int | None], BatchWriter],
    telemetry: Telemetry,
) -> None:
    try:
        guards = await guards_for(security) if security else []
    except (OSError, ValueError) as error:  # the token keys cannot be read
        structlog.get_logger("projector").error("cannot start", reason=str(error))
        raise SystemExit(1) from None
    replica_settings = ReplicaSettings(
        group=settings.group,
        batch=settings.batch,
        stall_seconds=settings.stall_seconds,
        max_lag_events=settings.max_lag_events,
        orphan_fold_interval=settings.orphan_fold_interval,
        host=settings.health_host,
        port=settings.health_port or None,
        observer=BatchTelemetry(telemetry.registry, telemetry.tracer),
        guards=guards,
        tls=security.tls if security else None,
    )
    if security is not None:
        log_security(security, structlog.get_logger("projector"))
    # The stall watch reads the head of $all on a connection of its own.
    watch = eventstore_client(settings.eventstore_connection)
    try:
        await watch.connect()
        async with assembled_replica(
            eventstore, watch, mongo, settings.mongo_database, writer_for, replica_settings
        ) as replica:
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, replica.consumption.stop)
            settle_heap()
            await replica.consumption.run()
    finally:
        await watch.close()


def main() -> None:
    args = _parser().parse_args()
    settings = load_settings(Settings, os.environ)
    # The live projector's gRPC server (health, ProjectionAdminService) is secured as the
    # services are; the one-shot commands serve nothing.
    serving = (args.command or "run") == "run" and bool(settings.health_port)
    security = load_security(os.environ, "projector") if serving else None
    configure_logging(settings.log_level)
    sys.exit(asyncio.run(_main(settings, security, args)))


if __name__ == "__main__":
    main()
