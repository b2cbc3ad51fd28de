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

from eventstore_lite.access import DEFAULT_ADMIN_PASSWORD
from eventstore_lite.server import ServerTls, create_server
from eventstore_lite.settings import ServerSettings
from orders_runtime.heap import settle_heap
from orders_runtime.logs import configure_logging
from orders_runtime.metrics import process_registry, serve_metrics
from orders_runtime.settings import EXIT_INVALID_SETTINGS, load_settings, variable_names

# Flags naming a file whose content is a setting: each sets the variable's _FILE form.
_FILE_FLAGS = {
    "certificate_file": "certificate",
    "certificate_private_key_file": "certificate_private_key",
    "users_file": "users",
}


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
    parser.add_argument(
        "--certificate-file",
        help="PEM certificate chain: serve TLS only, and require credentials"
        f" (or {variables['certificate']}_FILE)",
    )
    parser.add_argument(
        "--certificate-private-key-file",
        help=f"PEM private key of the certificate (or {variables['certificate_private_key']}_FILE)",
    )
    parser.add_argument(
        "--users-file",
        help="users besides admin, one name:password per line; admin's password is"
        f" {variables['default_admin_password']} (default: changeit, as KurrentDB's)"
        f" (or {variables['users']}_FILE)",
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
    names = variable_names(ServerSettings)
    for flag, field in _FILE_FLAGS.items():
        path = getattr(args, flag, None)
        if path is not None:
            merged[f"{names[field]}_FILE"] = path
            merged.pop(names[field], None)
    return merged


async def serve(settings: ServerSettings) -> None:
    log = structlog.get_logger("eventstore_lite")
    tls = (
        ServerTls(settings.certificate.encode(), settings.certificate_private_key.encode())
        if settings.secure
        else None
    )
    metrics = serve_metrics(process_registry(), settings.metrics_host, settings.metrics_port)
    running = await create_server(
        settings.data,
        settings.host,
        settings.port,
        settings.max_append_size,
        tls=tls,
        users=settings.user_passwords(),
        stream_cache_size=settings.stream_cache_size,
        page_cache_kib=settings.page_cache_kib,
    )
    settle_heap()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    # Never with credentials: this line goes to logs. Callers add theirs (and tlsCaFile).
    print(f"kurrentdb://{host}:{running.port}?tls={str(settings.secure).lower()}", flush=True)
    log.info("started", port=running.port, data=str(settings.data), tls=settings.secure)
    if settings.secure and settings.default_admin_password == DEFAULT_ADMIN_PASSWORD:
        log.warning(
            "admin has KurrentDB's well-known default password:"
            " set EVENTSTORE_LITE_DEFAULT_ADMIN_PASSWORD"
        )
    await stop.wait()
    log.info("stopping")
    await running.stop()
    metrics.close()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    settings = load_settings(ServerSettings, environment_with_flags(os.environ, args))
    problems = settings.problems()
    if problems:
        print(f"eventstore_lite: cannot start: {'; '.join(problems)}", file=sys.stderr)
        raise SystemExit(EXIT_INVALID_SETTINGS)
    configure_logging(settings.log_level)
    try:
        asyncio.run(serve(settings))
    except OSError as error:
        structlog.get_logger("eventstore_lite").error("cannot start", reason=str(error))
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
