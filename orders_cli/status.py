"""`orders status`: a refreshing view of the projection (Ctrl-C ends it), or one snapshot."""

from __future__ import annotations

import argparse
import json
import time

import grpc
from rich.console import Console
from rich.live import Live

from orders.v1 import admin_pb2_grpc as pb_grpc
from orders_cli.exit_codes import ExitCode, exit_code_for
from orders_cli.rpc_errors import describe
from orders_cli.status_snapshot import (
    ADMIN_ADDR_VAR,
    Snapshot,
    default_admin_addr,
    open_admin,
    take,
)
from orders_cli.status_snapshot import rates as rates_between
from orders_cli.status_view import status_view


def add_status_parser(subs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = subs.add_parser(
        "status", help="the projection's read models, lag, rates and parked events, refreshing"
    )
    sub.add_argument(
        "--admin-addr",
        default=default_admin_addr(),
        help=f"the projector's admin service (env {ADMIN_ADDR_VAR}, default %(default)s)",
    )
    sub.add_argument("--json", action="store_true", help="print one snapshot as JSON and exit")
    sub.add_argument("--once", action="store_true", help="render once and exit")
    sub.add_argument(
        "--interval", type=float, default=1.0, help="seconds between refreshes (%(default)s)"
    )
    sub.add_argument(
        "--timeout", type=float, default=10.0, help="seconds per call (default %(default)s)"
    )


def run_status(args: argparse.Namespace, console: Console) -> int:
    channel, stub = open_admin(args.admin_addr)
    try:
        if args.json:
            print(json.dumps(take(stub, args.timeout).as_json(), indent=2))
        elif args.once:
            console.print(status_view(take(stub, args.timeout), {}))
        else:
            _follow(stub, args, console)
    except grpc.RpcError as error:
        failure = describe(error)
        if args.json:
            print(json.dumps(failure.as_json(), indent=2))
        else:
            errors = Console(stderr=True, soft_wrap=True, highlight=False)
            for line in failure.as_lines():
                errors.print(line, markup=False)
        return exit_code_for(failure.code)
    except KeyboardInterrupt:
        pass
    finally:
        channel.close()
    return ExitCode.OK


def _follow(
    stub: pb_grpc.ProjectionAdminServiceStub, args: argparse.Namespace, console: Console
) -> None:
    snapshot: Snapshot = take(stub, args.timeout)
    with Live(status_view(snapshot, {}), console=console, auto_refresh=False) as live:
        while True:
            time.sleep(args.interval)
            previous, snapshot = snapshot, take(stub, args.timeout)
            live.update(status_view(snapshot, rates_between(previous, snapshot)), refresh=True)
