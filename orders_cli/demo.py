"""`orders demo`: sends a seeded demo plan through the public RPCs, with a progress bar."""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from orders.v1 import command_service_pb2, consistency_pb2, query_service_pb2, types_pb2
from orders_cli.connection import Stubs
from orders_cli.demo_data import DemoCustomer, DemoOrder, Path, plan_demo
from orders_cli.outcome import Outcome

Token = consistency_pb2.ConsistencyToken


def run_demo(args: argparse.Namespace, stubs: Stubs, console: Console) -> Outcome:
    plan = plan_demo(args.seed, args.customers, args.orders)
    last: Token | None = None
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=args.json,
    ) as progress:
        task = progress.add_task("demo data", total=plan.rpc_count)

        def advance() -> None:
            progress.advance(task)

        for person in plan.customers:
            last = _register(stubs, plan.seed, person)
            advance()
        for order in plan.orders:
            last = _run_order(stubs, plan.seed, order, advance)
        progress.update(task, description="waiting for the read side")
        if last is not None:
            _wait_until_projected(stubs, last)
    paths = Counter(order.path for order in plan.orders)
    table = Table(title=f"demo data (seed {plan.seed})", title_justify="left")
    table.add_column("lifecycle path")
    table.add_column("orders", justify="right")
    for path in Path:
        table.add_row(path.value, str(paths[path]))
    example = plan.orders[0].order_id if plan.orders else ""
    data = {
        "seed": plan.seed,
        "customers": len(plan.customers),
        "orders": len(plan.orders),
        "paths": {path.value: paths[path] for path in Path},
    }
    hint = f"try: orders get {example} --details   orders list   orders stats   orders analytics"
    return Outcome(data, [table, hint])


def _register(stubs: Stubs, seed: int, person: DemoCustomer) -> Token:
    response = stubs.commands.RegisterCustomer(
        command_service_pb2.RegisterCustomerRequest(
            # Keys derive from the seed, so running the same demo twice retries, never doubles.
            idempotency_key=f"demo-{seed}-register-{person.customer_id}",
            customer_id=person.customer_id,
            name=person.name,
            email=person.email,
        ),
        timeout=stubs.timeout,
    )
    return response.consistency_token


def _run_order(stubs: Stubs, seed: int, order: DemoOrder, advance: Callable[[], None]) -> Token:
    def key(step: str) -> str:
        return f"demo-{seed}-{step}-{order.order_id}"

    placed = stubs.commands.PlaceOrder(
        command_service_pb2.PlaceOrderRequest(
            idempotency_key=key("place"),
            order_id=order.order_id,
            customer_id=order.customer_id,
            lines=[
                types_pb2.OrderLine(
                    sku=line.sku,
                    quantity=line.quantity,
                    unit_price=types_pb2.Money(
                        currency_code=order.currency, amount_minor=line.unit_price_minor
                    ),
                )
                for line in order.lines
            ],
        ),
        timeout=stubs.timeout,
    )
    advance()
    token = placed.consistency_token
    paid = order.path in (Path.PAID, Path.SHIPPED, Path.DELIVERED, Path.CANCELLED_PAID)
    if paid:
        token = stubs.commands.ProcessPayment(
            command_service_pb2.ProcessPaymentRequest(
                idempotency_key=key("pay"),
                order_id=order.order_id,
                amount=placed.total,
                method="card" if len(order.lines) % 2 else "bank_transfer",
            ),
            timeout=stubs.timeout,
        ).consistency_token
        advance()
    if order.path in (Path.SHIPPED, Path.DELIVERED):
        token = stubs.commands.ShipOrder(
            command_service_pb2.ShipOrderRequest(
                idempotency_key=key("ship"),
                order_id=order.order_id,
                carrier=order.carrier,
                tracking_number=f"TRK{seed:03d}{order.order_id[-4:]}",
            ),
            timeout=stubs.timeout,
        ).consistency_token
        advance()
    if order.path is Path.DELIVERED:
        token = stubs.commands.DeliverOrder(
            command_service_pb2.DeliverOrderRequest(
                idempotency_key=key("deliver"), order_id=order.order_id
            ),
            timeout=stubs.timeout,
        ).consistency_token
        advance()
    if order.path in (Path.CANCELLED_UNPAID, Path.CANCELLED_PAID):
        token = stubs.commands.CancelOrder(
            command_service_pb2.CancelOrderRequest(
                idempotency_key=key("cancel"), order_id=order.order_id, reason=order.reason
            ),
            timeout=stubs.timeout,
        ).consistency_token
        advance()
    return token


def _wait_until_projected(stubs: Stubs, token: Token) -> None:
    """A listing waits on the projection's checkpoint, so afterwards every query sees it all."""
    stubs.queries.ListOrders(
        query_service_pb2.ListOrdersRequest(
            page_size=1,
            consistency=consistency_pb2.ReadConsistency(
                min_token=token, policy=consistency_pb2.STALENESS_POLICY_WAIT
            ),
        ),
        timeout=max(stubs.timeout, 30.0),
    )
