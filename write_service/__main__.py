"""`python -m write_service`: the composition root. Settings from the environment, the event
store client, the server; serve until SIGTERM or SIGINT, then drain calls in flight."""

from __future__ import annotations

import asyncio
import contextlib
import os

import structlog
from kurrentdbclient import AsyncKurrentDBClient
from kurrentdbclient.exceptions import ProgrammingError

from orders_runtime.auth_setup import guards_for, load_security, log_security
from orders_runtime.credentials import without_credentials
from orders_runtime.logs import configure_logging
from orders_runtime.security_settings import SecuritySettings
from orders_runtime.settings import load_settings
from orders_runtime.stop_signals import stop_requested
from write_service.server import build_server
from write_service.settings import Settings


async def serve(settings: Settings, security: SecuritySettings) -> None:
    log = structlog.get_logger("write_service")
    # The client connects lazily, so the service starts (NOT_SERVING) while the store is down.
    client = AsyncKurrentDBClient(settings.eventstore_uri)
    # Metrics (issue 14) plug in here, as build_server's observers.
    try:
        guards = await guards_for(security)
        server, port = await build_server(
            settings, client, guards=guards, tls=security.tls, reflection=security.reflection
        )
    except (OSError, ValueError) as error:  # the address is taken, or keys or certificates
        # cannot be read
        log.error("cannot start", reason=str(error))
        raise SystemExit(1) from None
    stop = stop_requested()
    await server.start()
    log.info(
        "started",
        host=settings.host,
        port=port,
        eventstore_uri=without_credentials(settings.eventstore_uri),
    )
    log_security(security, log)
    await stop.wait()
    log.info("stopping: draining calls in flight", grace_seconds=settings.shutdown_grace)
    await server.stop(settings.shutdown_grace)
    # Closing a client that never reached the store raises; there is nothing to close then.
    with contextlib.suppress(ProgrammingError):
        await client.close()
    log.info("stopped")


def main() -> None:
    settings = load_settings(Settings, os.environ)
    security = load_security(os.environ, "write_service")
    configure_logging(settings.log_level)
    asyncio.run(serve(settings, security))


if __name__ == "__main__":
    main()
