"""`python -m eventstore_lite --port 2113 --data DIR`: serve until SIGTERM/SIGINT.

Every flag can be given as an environment variable instead (the flag wins)."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Mapping

import structlog

from eventstore_lite.server import create_server
from eventstore_lite.settings import ServerSettings
from orders_runtime.logs import configure_logging
from orders_runtime.metrics import process_registry, serve_metrics
from orders_runtime.settings import load_settings, variable_names


def parse_args(argv: list[str]) -> argparse.Namespace:
    # Each flag's destination is the name of the settings field it sets.
    variables = variable_names(ServerSettings)
    parser = argparse.ArgumentParser(prog="eventstore_lite", description=__doc__)
    parser.add_argument(
        "--host", help=f"interface to listen on (default 127.0.0.1; or {variables['host']})"
    )
    parser.add_argument(
        "--port",
        help=f"port to listen on, 0 picks a free one (default 2113; or {variables['port']})",
    )
    parser.add_argument("--data", help=f"folder of the database (required; or {variables['data']})")
    parser.add_argument(
        "--max-append-size",
        help="largest append in bytes of data and metadata (default: the real server's 1 MiB;"
        f" or {variables['max_append_size']})",
    )
    return parser.parse_args(argv)


def environment_with_flags(environ: Mapping[str, str], args: argparse.Namespace) -> dict[str, str]:
    """The environment with each given flag in the place of its variable."""
    merged = dict(environ)
    for field, variable in variable_names(ServerSettings).items():
        value = getattr(args, field, None)
        if value is not None:
            merged[variable] = value
            # A flag also replaces the variable's file form, rather than clashing with it.
            merged.pop(f"{variable}_FILE", None)
    return merged


async def serve(settings: ServerSettings) -> None:
    log = structlog.get_logger("eventstore_lite")
    metrics = serve_metrics(process_registry(), settings.metrics_host, settings.metrics_port)
    running = await create_server(
        settings.data, settings.host, settings.port, settings.max_append_size
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    print(f"kurrentdb://{host}:{running.port}?tls=false", flush=True)
    log.info("started", port=running.port, data=str(settings.data))
    await stop.wait()
    log.info("stopping")
    await running.stop()
    metrics.close()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    settings = load_settings(ServerSettings, environment_with_flags(os.environ, args))
    configure_logging(settings.log_level)
    try:
        asyncio.run(serve(settings))
    except OSError as error:
        structlog.get_logger("eventstore_lite").error("cannot start", reason=str(error))
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
