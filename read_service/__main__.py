"""Composition root: `python -m read_service` serves QueryService until SIGTERM or SIGINT."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import structlog

from orders_runtime.auth_setup import guards_for, log_security
from orders_runtime.credentials import without_credentials
from orders_runtime.key_store import SqliteKeyStore
from orders_runtime.metrics_mongo import MongoCommandMetrics
from orders_runtime.security_settings import SecuritySettings
from orders_runtime.service_main import run_service
from orders_runtime.stop_signals import stop_requested
from orders_runtime.store_refusals import mongo_refusal
from orders_runtime.telemetry import start_telemetry
from read_service.metrics import ReadMetrics
from read_service.server import build_server, mongo_client_for
from read_service.settings import Settings


async def serve(settings: Settings, security: SecuritySettings) -> None:
    log = structlog.get_logger("read_service")
    try:
        telemetry = start_telemetry(
            "read_service",
            metrics_host=settings.metrics_host,
            metrics_port=settings.metrics_port,
            otlp_endpoint=settings.otlp_endpoint,
        )
    except OSError as error:  # the metrics port is taken
        log.error("cannot start", reason=str(error))
        raise SystemExit(1) from None
    client = mongo_client_for(settings, [MongoCommandMetrics(telemetry.registry)])
    refusal = await mongo_refusal(client, settings.mongo_database, settings.mongo_timeout_seconds)
    if refusal is not None:
        log.error("cannot start", reason=refusal)
        await client.close()
        telemetry.close()
        raise SystemExit(1)
    try:
        guards = await guards_for(security)
        keys = SqliteKeyStore(Path(settings.key_store_path)) if settings.key_store_path else None
        server, port = build_server(
            settings,
            client,
            observers=telemetry.observers(),
            guards=guards,
            metrics=ReadMetrics(telemetry.registry, telemetry.tracer),
            tls=security.tls,
            reflection=security.reflection,
            keys=keys,
        )
    except (OSError, ValueError, sqlite3.Error) as error:  # the address is taken, or keys or
        # certificates (or the key store) cannot be read
        log.error("cannot start", reason=str(error))
        await client.close()
        telemetry.close()
        raise SystemExit(1) from None
    stopping = stop_requested()
    await server.start()
    log.info(
        "read service listening",
        host=settings.host,
        port=port,
        mongo_uri=without_credentials(settings.mongo_uri),
        mongo_database=settings.mongo_database,
        consistency_watch=server.watcher.mode,
        answer_cache_max_entries=settings.read_cache_max_entries,
        metrics_port=telemetry.endpoint.port or None,
        tracing=bool(settings.otlp_endpoint),
        page_token_key="READ_PAGE_TOKEN_KEY"
        if settings.page_token_key
        else "random: tokens die with this process and work only on this replica",
    )
    log_security(security, log)
    if keys is None:
        log.warning("KEY_STORE_PATH is not set: sealed names and e-mails are answered empty")
    try:
        await stopping.wait()
        log.info("shutting down", grace_seconds=settings.shutdown_grace_seconds)
        await server.stop(settings.shutdown_grace_seconds)
    finally:
        await client.close()
        telemetry.close()
        if keys is not None:
            keys.close()
    log.info("read service stopped")


def main() -> None:
    run_service("read_service", Settings, serve)


if __name__ == "__main__":
    main()
