"""`python -m write_service`: the composition root. Settings from the environment, the event
store client, the server; serve until SIGTERM or SIGINT, then drain calls in flight."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import structlog
from kurrentdbclient import AsyncKurrentDBClient
from kurrentdbclient.exceptions import ProgrammingError

from orders_runtime.auth_setup import guards_for, log_security
from orders_runtime.credentials import without_credentials
from orders_runtime.key_store import SqliteKeyStore
from orders_runtime.security_settings import SecuritySettings
from orders_runtime.service_main import run_service
from orders_runtime.stop_signals import stop_requested
from orders_runtime.store_refusals import eventstore_refusal
from orders_runtime.telemetry import start_telemetry
from write_service.metrics import CommandMetrics
from write_service.server import build_server
from write_service.settings import Settings


async def serve(settings: Settings, security: SecuritySettings) -> None:
    log = structlog.get_logger("write_service")
    # The client connects lazily, so the service starts (NOT_SERVING) while the store is down.
    client = AsyncKurrentDBClient(settings.eventstore_connection)
    refusal = await eventstore_refusal(client, settings.store_timeout)
    if refusal is not None:
        log.error("cannot start", reason=refusal)
        raise SystemExit(1)
    try:
        telemetry = start_telemetry(
            "write_service",
            metrics_host=settings.metrics_host,
            metrics_port=settings.metrics_port,
            otlp_endpoint=settings.otlp_endpoint,
        )
        guards = await guards_for(security)
        keys = SqliteKeyStore(Path(settings.key_store_path)) if settings.key_store_path else None
        server, port = await build_server(
            settings,
            client,
            observers=telemetry.observers(),
            guards=guards,
            metrics=CommandMetrics(telemetry.registry),
            tls=security.tls,
            reflection=security.reflection,
            keys=keys,
        )
    except (OSError, ValueError, sqlite3.Error) as error:  # the address is taken, or keys or
        # certificates (or the key store) cannot be read
        log.error("cannot start", reason=str(error))
        raise SystemExit(1) from None
    stop = stop_requested()
    await server.start()
    log.info(
        "started",
        host=settings.host,
        port=port,
        eventstore_uri=without_credentials(settings.eventstore_uri),
        metrics_port=telemetry.endpoint.port or None,
        tracing=bool(settings.otlp_endpoint),
    )
    log_security(security, log)
    if keys is None:
        log.warning(
            "KEY_STORE_PATH is not set: customers' names and e-mails are stored in clear text "
            "and ForgetCustomer is refused"
        )
    await stop.wait()
    log.info("stopping: draining calls in flight", grace_seconds=settings.shutdown_grace)
    await server.stop(settings.shutdown_grace)
    # Closing a client that never reached the store raises; there is nothing to close then.
    with contextlib.suppress(ProgrammingError):
        await client.close()
    telemetry.close()
    if keys is not None:
        keys.close()
    log.info("stopped")


def main() -> None:
    run_service("write_service", Settings, serve)


if __name__ == "__main__":
    main()
