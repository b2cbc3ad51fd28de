"""The queries of QueryService, each optionally reading at or after a consistency token."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from google.protobuf import timestamp_pb2
from rich.text import Text

from orders.v1 import consistency_pb2, query_service_pb2, types_pb2
from orders_cli import views
from orders_cli.argument_types import parse_token
from orders_cli.connection import Stubs
from orders_cli.outcome import Outcome, as_dict


def _consistency(args: argparse.Namespace) -> consistency_pb2.ReadConsistency | None:
    if not args.token:
        return None
    policy = (
        consistency_pb2.STALENESS_POLICY_ALLOW_STALE
        if args.allow_stale
        else consistency_pb2.STALENESS_POLICY_WAIT
    )
    return consistency_pb2.ReadConsistency(min_token=parse_token(args.token), policy=policy)


def _start_of(day: date | None) -> timestamp_pb2.Timestamp | None:
    if day is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(datetime.combine(day, time.min, tzinfo=UTC))
    return stamp


def _created_range(args: argparse.Namespace) -> dict[str, Any]:
    """--since and --until are whole UTC days, both inclusive."""
    until: date | None = args.until
    return {
        "created_after": _start_of(args.since),
        "created_before": _start_of(until + timedelta(days=1) if until else None),
    }


def get(args: argparse.Namespace, stubs: Stubs) -> Outcome:
    if args.details:
        details = stubs.queries.GetOrderDetails(
            query_service_pb2.GetOrderDetailsRequest(
                order_id=args.order, consistency=_consistency(args)
            ),
            timeout=stubs.timeout,
        )
        shown: list[Any] = [*views.order_details(details.order)]
        return Outcome(as_dict(details), [*shown, views.freshness(details.read_metadata)])
    summary = stubs.queries.GetOrderSummary(
        query_service_pb2.GetOrderSummaryRequest(
            order_id=args.order, consistency=_consistency(args)
        ),
        timeout=stubs.timeout,
    )
    return Outcome(
        as_dict(summary),
        [views.order_summary(summary.order), views.freshness(summary.read_metadata)],
    )


def list_orders(args: argparse.Namespace, stubs: Stubs) -> Outcome:
    statuses: list[types_pb2.OrderStatus.ValueType] = args.status or []
    response: query_service_pb2.ListCustomerOrdersResponse | query_service_pb2.ListOrdersResponse
    if args.customer:
        if statuses or args.since or args.until:
            raise ValueError("--status, --since and --until filter all orders, not --customer")
        response = stubs.queries.ListCustomerOrders(
            query_service_pb2.ListCustomerOrdersRequest(
                customer_id=args.customer,
                page_size=args.page_size,
                page_token=args.page_token or "",
                consistency=_consistency(args),
            ),
            timeout=stubs.timeout,
        )
        title = f"orders of customer {args.customer}, newest first"
    else:
        response = stubs.queries.ListOrders(
            query_service_pb2.ListOrdersRequest(
                statuses=statuses,
                page_size=args.page_size,
                page_token=args.page_token or "",
                consistency=_consistency(args),
                **_created_range(args),
            ),
            timeout=stubs.timeout,
        )
        title = "orders, newest first"
    shown: list[Any] = [views.orders(response.orders, title)]
    if response.next_page_token:
        shown.append(Text(f"more: --page-token {response.next_page_token}", style="dim"))
    shown.append(views.freshness(response.read_metadata))
    return Outcome(as_dict(response), shown)


def stats(args: argparse.Namespace, stubs: Stubs) -> Outcome:
    response = stubs.queries.GetOrderStats(
        query_service_pb2.GetOrderStatsRequest(
            customer_id=args.customer or "",
            statuses=args.status or [],
            consistency=_consistency(args),
            **_created_range(args),
        ),
        timeout=stubs.timeout,
    )
    shown: list[Any] = []
    if response.HasField("customer"):
        shown.append(views.customer(response.customer))
    shown += [views.stats(response.rows), views.freshness(response.read_metadata)]
    return Outcome(as_dict(response), shown)


def analytics(args: argparse.Namespace, stubs: Stubs) -> Outcome:
    end: date = args.until or datetime.now(UTC).date()
    start: date = args.since or end - timedelta(days=29)
    response = stubs.queries.GetSalesAnalytics(
        query_service_pb2.GetSalesAnalyticsRequest(
            start_date=types_pb2.Date(year=start.year, month=start.month, day=start.day),
            end_date=types_pb2.Date(year=end.year, month=end.month, day=end.day),
            currency_code=args.currency or "",
            consistency=_consistency(args),
        ),
        timeout=stubs.timeout,
    )
    shown: list[Any] = [views.sales(currency, args.all_days) for currency in response.currencies]
    if not response.currencies:
        shown.append(f"no orders between {start} and {end}")
    shown.append(views.freshness(response.read_metadata))
    return Outcome(as_dict(response), shown)


def customer(args: argparse.Namespace, stubs: Stubs) -> Outcome:
    response = stubs.queries.GetCustomer(
        query_service_pb2.GetCustomerRequest(
            customer_id=args.customer_id, consistency=_consistency(args)
        ),
        timeout=stubs.timeout,
    )
    return Outcome(
        as_dict(response),
        [views.customer(response.customer), views.freshness(response.read_metadata)],
    )
