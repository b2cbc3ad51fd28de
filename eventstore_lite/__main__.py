"""`python -m eventstore_lite --port 2113 --data DIR`: serve until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

import structlog

from eventstore_lite.server import create_server
from eventstore_lite.storage import DEFAULT_MAX_APPEND_SIZE


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="eventstore_lite", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2113, help="0 picks a free port")
    parser.add_argument("--data", type=Path, required=True, help="folder of the database")
    parser.add_argument(
        "--max-append-size",
        type=int,
        default=DEFAULT_MAX_APPEND_SIZE,
        help="largest append in bytes of data and metadata (default: the real server's 1 MiB)",
    )
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    log = structlog.get_logger("eventstore_lite")
    running = await create_server(args.data, args.host, args.port, args.max_append_size)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    print(f"kurrentdb://{host}:{running.port}?tls=false", flush=True)
    log.info("started", port=running.port, data=str(args.data))
    await stop.wait()
    log.info("stopping")
    await running.stop()


def main(argv: list[str] | None = None) -> None:
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
    )
    try:
        asyncio.run(serve(parse_args(sys.argv[1:] if argv is None else argv)))
    except OSError as error:
        structlog.get_logger("eventstore_lite").error("cannot start", reason=str(error))
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
