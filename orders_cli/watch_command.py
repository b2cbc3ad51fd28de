"""`orders watch`: one order's (or a customer's orders') changes, printed as they are projected,
until Ctrl-C."""

from __future__ import annotations

import argparse
import json
import os
import signal
from typing import Any

import grpc
from rich.console import Console
from rich.text import Text

from orders.v1 import query_service_pb2, query_service_pb2_grpc
from orders_cli import views
from orders_cli.argument_types import format_token, parse_token
from orders_cli.client_security import client_security
from orders_cli.exit_codes import ExitCode, exit_code_for
from orders_cli.money import format_money
from orders_cli.outcome import as_dict
from orders_cli.rpc_errors import describe

Message = query_service_pb2.WatchOrderResponse | query_service_pb2.WatchCustomerOrdersResponse


def add_watch_parser(subs: Any, common: list[argparse.ArgumentParser]) -> None:
    sub = subs.add_parser(
        "watch",
        parents=common,
        help="print an order's changes as they are projected, until Ctrl-C (or --customer)",
    )
    sub.add_argument("order", nargs="?", help="the order to watch")
    sub.add_argument("--customer", help="watch every order of this customer instead")
    sub.add_argument(
        "--resume",
        action="append",
        default=[],
        help="repeatable: a token printed before; start after it, missing nothing",
    )


def run_watch(args: argparse.Namespace, console: Console) -> int:
    errors = Console(stderr=True, soft_wrap=True, highlight=False)
    if bool(args.order) == bool(args.customer):
        errors.print("error: give an ORDER_ID or --customer CUSTOMER_ID, not both")
        return ExitCode.USAGE
    try:
        tokens = [parse_token(raw) for raw in args.resume]
    except ValueError as error:
        errors.print(f"error: {error}", markup=False)
        return ExitCode.USAGE
    with client_security(os.environ).channel(args.read_addr) as channel:
        queries = query_service_pb2_grpc.QueryServiceStub(channel)
        call: Any
        if args.order:
            request = query_service_pb2.WatchOrderRequest(order_id=args.order)
            if tokens:
                request.resume_token.CopyFrom(tokens[-1])
            call = queries.WatchOrder(request)
        else:
            call = queries.WatchCustomerOrders(
                query_service_pb2.WatchCustomerOrdersRequest(
                    customer_id=args.customer, resume_tokens=tokens
                )
            )
        interrupted = False

        def interrupt(signum: int, frame: object) -> None:
            # Ctrl-C cancels the call, which ends the loop below: a KeyboardInterrupt raised
            # wherever the main thread happens to be (inside gRPC's own code) could leave the
            # channel unable to close, and the command would never exit.
            nonlocal interrupted
            interrupted = True
            call.cancel()

        previous = signal.signal(signal.SIGINT, interrupt)
        try:
            for message in call:
                if args.json:
                    print(json.dumps(as_dict(message), ensure_ascii=False), flush=True)
                else:
                    console.print(line(message))
        except grpc.RpcError as error:
            if interrupted:
                return ExitCode.OK
            failure = describe(error)
            for text in failure.as_lines():
                errors.print(text, markup=False)
            return exit_code_for(failure.code)
        finally:
            signal.signal(signal.SIGINT, previous)
    return ExitCode.OK


def line(message: Message) -> Text:
    """One message as one line: what it is, the order's state, and the token to resume from."""
    kind = query_service_pb2.WatchMessageKind.Name(message.kind).removeprefix("WATCH_MESSAGE_KIND_")
    if message.kind == query_service_pb2.WATCH_MESSAGE_KIND_CAUGHT_UP:
        return Text("-- caught up: changes follow as they are projected (Ctrl-C ends) --", "dim")
    order = message.order
    revisions = f"rev {message.token.revision}"
    if message.HasField("previous_revision"):
        revisions += f" (after {message.previous_revision})"
    text = Text(f"{views.when(message.read_metadata.projected_at)}  {kind.lower():<8} ")
    text.append(f"{order.order_id}  {revisions}  ")
    text.append(views.status_text(order.status))
    text.append(
        f"  {format_money(order.total)}  payment {views.payment_text(order.payment_status)}"
    )
    text.append(f"  resume: {format_token(message.token)}", style="dim")
    return text
