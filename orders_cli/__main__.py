"""The `orders` command: the local stack, the order lifecycle, queries and demo data."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

import grpc
from rich.console import Console

from orders_cli import forget_command, query_commands, write_commands
from orders_cli.client_security import client_security
from orders_cli.connection import Stubs, open_stubs
from orders_cli.demo import run_demo
from orders_cli.dev_stack import run_dev
from orders_cli.exit_codes import ExitCode, exit_code_for
from orders_cli.outcome import Outcome
from orders_cli.parser import build_parser
from orders_cli.readiness import grpc_serving
from orders_cli.rpc_errors import describe
from orders_cli.status import run_status
from orders_cli.token_command import print_token
from orders_cli.watch_command import run_watch

Handler = Callable[[argparse.Namespace, Stubs], Outcome]

HANDLERS: dict[str, Handler] = {
    "register-customer": write_commands.register_customer,
    "place": write_commands.place,
    "pay": write_commands.pay,
    "ship": write_commands.ship,
    "deliver": write_commands.deliver,
    "cancel": write_commands.cancel,
    "forget": forget_command.forget,
    "get": query_commands.get,
    "list": query_commands.list_orders,
    "stats": query_commands.stats,
    "analytics": query_commands.analytics,
    "customer": query_commands.customer,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = Console(soft_wrap=True)
    if args.command == "dev":
        return run_dev(console)
    if args.command == "status":
        return run_status(args, console)
    if args.command == "health":
        host, _, port = args.address.rpartition(":")
        ca_file = client_security(os.environ).ca_file
        serving = grpc_serving(int(port), host or "127.0.0.1", ca_file=ca_file)
        return ExitCode.OK if serving else ExitCode.UNAVAILABLE
    if args.command == "watch":
        return run_watch(args, console)
    if args.command == "token":
        return print_token(args, Console(stderr=True, soft_wrap=True))
    return _run_rpc_command(args, console)


def _run_rpc_command(args: argparse.Namespace, console: Console) -> int:
    errors = Console(stderr=True, soft_wrap=True, highlight=False)
    try:
        with open_stubs(args.write_addr, args.read_addr, args.timeout) as stubs:
            if args.command == "demo":
                outcome = run_demo(args, stubs, errors)
            else:
                outcome = HANDLERS[args.command](args, stubs)
    except grpc.RpcError as error:
        failure = describe(error)
        if args.json:
            _print_json(failure.as_json())
        else:
            for line in failure.as_lines():
                errors.print(line, markup=False)
        return exit_code_for(failure.code)
    except ValueError as error:
        if args.json:
            _print_json({"error": {"code": "USAGE", "message": str(error)}})
        else:
            errors.print(f"error: {error}", markup=False)
        return ExitCode.USAGE
    if args.json:
        _print_json(outcome.data)
    else:
        for view in outcome.views:
            console.print(view)
    return ExitCode.OK


def _print_json(data: dict[str, Any]) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    sys.exit(main())
