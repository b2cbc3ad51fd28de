"""The command line of `orders`: subcommands, their flags and their help."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date
from typing import TypeVar

from orders_cli.argument_types import parse_currency, parse_status, status_names
from orders_cli.connection import (
    READ_ADDR_VAR,
    WRITE_ADDR_VAR,
    default_read_addr,
    default_write_addr,
)
from orders_cli.dev_keys import ALL_SCOPES
from orders_cli.status import add_status_parser
from orders_cli.watch_command import add_watch_parser

_T = TypeVar("_T")

EPILOG = """\
examples:
  orders dev                                   start the local stack (or: make dev)
  orders demo                                  fill it with realistic orders
  orders register-customer --name Ada --email ada@example.com --wait
  orders forget CUSTOMER_ID --wait             erase a customer's name and e-mail for good
  orders place --customer CUSTOMER_ID BOOK-1:2:1250 PEN-7:1:399 --currency EUR --wait
  orders pay ORDER_ID --wait        (pays the order total)
  orders get ORDER_ID --details
  orders list --status paid --status shipped
  orders analytics --since 2026-01-01
  orders status                                the projection, refreshing (or --json, --once)
  orders watch ORDER_ID                        its changes as they are projected (or --customer)
  orders token --scope orders:read --customer CUSTOMER_ID   a token for other tools
exit codes: 0 ok, 1 other failure, 2 usage, 3 port in use, 4 invalid argument, 5 not found,
  6 conflict (already exists, aborted), 7 refused (illegal transition), 8 unavailable,
  9 deadline exceeded (e.g. the read side did not reach a token in time)
"""


def _checked(parse: Callable[[str], _T]) -> Callable[[str], _T]:
    """argparse shows an ArgumentTypeError's own message, not a generic one."""

    def parse_or_explain(raw: str) -> _T:
        try:
            return parse(raw)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from error

    parse_or_explain.__name__ = parse.__name__
    return parse_or_explain


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--write-addr",
        default=default_write_addr(),
        help=f"CommandService address (env {WRITE_ADDR_VAR}, default %(default)s)",
    )
    common.add_argument(
        "--read-addr",
        default=default_read_addr(),
        help=f"QueryService address (env {READ_ADDR_VAR}, default %(default)s)",
    )
    common.add_argument("--json", action="store_true", help="print JSON for scripts")
    common.add_argument(
        "--timeout", type=float, default=10.0, help="seconds per call (default %(default)s)"
    )
    return common


def _command_flags(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--wait",
        action="store_true",
        help="return once the read side shows this write (uses its consistency token)",
    )
    sub.add_argument("--idempotency-key", help="reuse to retry safely (default: a new UUID)")


def _query_flags(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--token", help="read at or after this write (a command's token)")
    sub.add_argument(
        "--allow-stale",
        action="store_true",
        help="with --token: answer at once, flagged stale if the write is not visible yet",
    )


def _filters(sub: argparse.ArgumentParser, customer_help: str) -> None:
    sub.add_argument("--customer", help=customer_help)
    sub.add_argument(
        "--status",
        action="append",
        type=_checked(parse_status),
        help=f"repeatable: {', '.join(status_names())}",
    )
    sub.add_argument("--since", type=_checked(date.fromisoformat), help="first UTC day, YYYY-MM-DD")
    sub.add_argument("--until", type=_checked(date.fromisoformat), help="last UTC day, inclusive")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="orders",
        description="Run and use the orders CQRS services.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subs = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = [_common()]

    subs.add_parser("dev", help="run the local stack until Ctrl-C")
    health = subs.add_parser("health", help="exit 0 if a gRPC service reports SERVING")
    health.add_argument("address", help="HOST:PORT")
    add_status_parser(subs)
    token = subs.add_parser(
        "token", help="print a bearer token signed with the dev stack's key (for buf curl, etc.)"
    )
    token.add_argument(
        "--scope",
        action="append",
        choices=ALL_SCOPES,
        help="repeat for several (default: all of them)",
    )
    token.add_argument("--customer", default="", help="bind the token to this customer id")
    token.add_argument(
        "--subject", default="orders-cli", help="the sub claim (default %(default)s)"
    )
    token.add_argument(
        "--ttl", type=int, default=3600, help="seconds until it expires (default %(default)s)"
    )

    sub = subs.add_parser("register-customer", parents=common, help="register a customer")
    sub.add_argument("--name", required=True)
    sub.add_argument("--email", required=True)
    sub.add_argument("--id", help="choose the customer id (default: the server assigns one)")
    _command_flags(sub)

    sub = subs.add_parser("place", parents=common, help="place an order")
    sub.add_argument("--customer", required=True, help="customer id")
    sub.add_argument("lines", nargs="+", metavar="SKU:QTY:PRICE_MINOR")
    sub.add_argument("--currency", type=parse_currency, default="EUR", help="default %(default)s")
    sub.add_argument("--id", help="choose the order id (default: the server assigns one)")
    _command_flags(sub)

    sub = subs.add_parser("pay", parents=common, help="pay an order in full")
    sub.add_argument("order")
    sub.add_argument("--amount", type=int, help="minor units (default: the order total)")
    sub.add_argument("--currency", type=parse_currency, default="EUR", help="with --amount")
    sub.add_argument("--method", default="card", help="default %(default)s")
    sub.add_argument("--payment-id")
    _command_flags(sub)

    sub = subs.add_parser("ship", parents=common, help="hand a paid order to a carrier")
    sub.add_argument("order")
    sub.add_argument("--carrier", default="DHL", help="default %(default)s")
    sub.add_argument("--tracking", help="tracking number (default: a made-up one)")
    _command_flags(sub)

    sub = subs.add_parser("deliver", parents=common, help="record that a shipped order arrived")
    sub.add_argument("order")
    _command_flags(sub)

    sub = subs.add_parser("cancel", parents=common, help="cancel an order that is not shipped")
    sub.add_argument("order")
    sub.add_argument("--reason", default="cancelled by the customer", help="default %(default)r")
    _command_flags(sub)

    sub = subs.add_parser(
        "forget", parents=common, help="erase a customer's name and e-mail for good (admin)"
    )
    sub.add_argument("customer", help="customer id")
    _command_flags(sub)

    sub = subs.add_parser("get", parents=common, help="one order: summary, or --details")
    sub.add_argument("order")
    sub.add_argument("--details", action="store_true", help="lines, payment, shipping, timeline")
    _query_flags(sub)

    sub = subs.add_parser("list", parents=common, help="orders, newest first, one page")
    _filters(sub, "only this customer's orders (no other filter)")
    sub.add_argument("--page-size", type=int, default=20, help="default %(default)s, max 100")
    sub.add_argument("--page-token", help="the token printed under the previous page")
    _query_flags(sub)

    sub = subs.add_parser("stats", parents=common, help="order count and total per status")
    _filters(sub, "only this customer's orders")
    _query_flags(sub)

    sub = subs.add_parser("analytics", parents=common, help="sales per day (default: 30 days)")
    sub.add_argument("--since", type=_checked(date.fromisoformat), help="first UTC day")
    sub.add_argument("--until", type=_checked(date.fromisoformat), help="last UTC day")
    sub.add_argument("--currency", type=parse_currency, help="one currency only")
    sub.add_argument("--all-days", action="store_true", help="also show days without orders")
    _query_flags(sub)

    sub = subs.add_parser("customer", parents=common, help="a customer's profile and figures")
    sub.add_argument("customer_id")
    _query_flags(sub)

    add_watch_parser(subs, common)

    sub = subs.add_parser("demo", parents=common, help="create realistic demo data")
    sub.add_argument("--customers", type=int, default=25, help="default %(default)s")
    sub.add_argument("--orders", type=int, default=300, help="default %(default)s")
    sub.add_argument("--seed", type=int, default=7, help="same seed, same data (default 7)")
    return parser
