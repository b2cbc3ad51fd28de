"""The commands of CommandService, each optionally waiting until the read side shows it."""

from __future__ import annotations

import argparse
import uuid
from typing import Any

from orders.v1 import (
    command_service_pb2,
    consistency_pb2,
    query_service_pb2,
    types_pb2,
)
from orders_cli import views
from orders_cli.argument_types import format_token, parse_line
from orders_cli.connection import Stubs
from orders_cli.money import format_money
from orders_cli.outcome import Outcome, as_dict


def _key(args: argparse.Namespace) -> str:
    explicit: str | None = args.idempotency_key
    return explicit or str(uuid.uuid4())


def _wait_for(token: consistency_pb2.ConsistencyToken) -> consistency_pb2.ReadConsistency:
    return consistency_pb2.ReadConsistency(
        min_token=token, policy=consistency_pb2.STALENESS_POLICY_WAIT
    )


def _order_outcome(
    args: argparse.Namespace,
    stubs: Stubs,
    response: Any,
    headline: str,
) -> Outcome:
    token: consistency_pb2.ConsistencyToken = response.consistency_token
    data = {**as_dict(response), "token": format_token(token)}
    shown: list[Any] = [headline]
    if args.wait:
        read = stubs.queries.GetOrderSummary(
            query_service_pb2.GetOrderSummaryRequest(
                order_id=response.order_id, consistency=_wait_for(token)
            ),
            timeout=stubs.timeout,
        )
        data["read"] = as_dict(read)
        shown += [views.order_summary(read.order), views.freshness(read.read_metadata)]
    shown.append(views.token_line(token))
    return Outcome(data, shown)


def register_customer(args: argparse.Namespace, stubs: Stubs) -> Outcome:
    response = stubs.commands.RegisterCustomer(
        command_service_pb2.RegisterCustomerRequest(
            idempotency_key=_key(args),
            customer_id=args.id or "",
            name=args.name,
            email=args.email,
        ),
        timeout=stubs.timeout,
    )
    token = response.consistency_token
    data = {**as_dict(response), "token": format_token(token)}
    shown: list[Any] = [f"registered customer {response.customer_id}"]
    if args.wait:
        read = stubs.queries.GetCustomer(
            query_service_pb2.GetCustomerRequest(
                customer_id=response.customer_id, consistency=_wait_for(token)
            ),
            timeout=stubs.timeout,
        )
        data["read"] = as_dict(read)
        shown += [views.customer(read.customer), views.freshness(read.read_metadata)]
    shown.append(views.token_line(token))
    return Outcome(data, shown)


def place(args: argparse.Namespace, stubs: Stubs) -> Outcome:
    currency: str = args.currency
    response = stubs.commands.PlaceOrder(
        command_service_pb2.PlaceOrderRequest(
            idempotency_key=_key(args),
            order_id=args.id or "",
            customer_id=args.customer,
            lines=[parse_line(raw, currency) for raw in args.lines],
        ),
        timeout=stubs.timeout,
    )
    headline = f"placed order {response.order_id}, total {format_money(response.total)}"
    return _order_outcome(args, stubs, response, headline)


def pay(args: argparse.Namespace, stubs: Stubs) -> Outcome:
    amount = _amount_to_pay(args, stubs)
    response = stubs.commands.ProcessPayment(
        command_service_pb2.ProcessPaymentRequest(
            idempotency_key=_key(args),
            order_id=args.order,
            amount=amount,
            payment_id=args.payment_id or "",
            method=args.method,
        ),
        timeout=stubs.timeout,
    )
    headline = (
        f"paid order {response.order_id}: {format_money(amount)} (payment {response.payment_id})"
    )
    return _order_outcome(args, stubs, response, headline)


def _amount_to_pay(args: argparse.Namespace, stubs: Stubs) -> types_pb2.Money:
    if args.amount is not None:
        return types_pb2.Money(currency_code=args.currency, amount_minor=args.amount)
    # Without --amount, pay the total the read side shows: the usual case at a terminal.
    summary = stubs.queries.GetOrderSummary(
        query_service_pb2.GetOrderSummaryRequest(order_id=args.order), timeout=stubs.timeout
    )
    return summary.order.total


def ship(args: argparse.Namespace, stubs: Stubs) -> Outcome:
    tracking: str = args.tracking or f"TRK{uuid.uuid4().hex[:10].upper()}"
    response = stubs.commands.ShipOrder(
        command_service_pb2.ShipOrderRequest(
            idempotency_key=_key(args),
            order_id=args.order,
            carrier=args.carrier,
            tracking_number=tracking,
        ),
        timeout=stubs.timeout,
    )
    headline = f"shipped order {response.order_id} with {args.carrier}, tracking {tracking}"
    return _order_outcome(args, stubs, response, headline)


def deliver(args: argparse.Namespace, stubs: Stubs) -> Outcome:
    response = stubs.commands.DeliverOrder(
        command_service_pb2.DeliverOrderRequest(idempotency_key=_key(args), order_id=args.order),
        timeout=stubs.timeout,
    )
    return _order_outcome(args, stubs, response, f"delivered order {response.order_id}")


def cancel(args: argparse.Namespace, stubs: Stubs) -> Outcome:
    response = stubs.commands.CancelOrder(
        command_service_pb2.CancelOrderRequest(
            idempotency_key=_key(args), order_id=args.order, reason=args.reason
        ),
        timeout=stubs.timeout,
    )
    payment = views.payment_text(response.payment_status)
    headline = f"cancelled order {response.order_id} (payment: {payment})"
    return _order_outcome(args, stubs, response, headline)
