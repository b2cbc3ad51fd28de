"""Order statistics: count and total amount per status and currency, grouped in MongoDB."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from msgspec import Struct, field

from orders_contracts import read_models as rm
from read_service.consistency import ReadConsistency
from read_service.queries.context import Answer, QueryContext, freshness, prepare, with_progress
from read_service.queries.customers import find_customer
from read_service.queries.listing import order_filter
from read_service.validation import optional_id_violation, status_violations, time_range_violation

_STATUS_RANK: Final[dict[str, int]] = {s: rank for rank, s in enumerate(rm.ORDER_STATUSES)}


class _GroupKey(Struct, frozen=True):
    status: str
    currency: str


class _Group(Struct, frozen=True):
    """One group of the pipeline below, as the read store decodes it."""

    key: _GroupKey = field(name="_id")
    order_count: int
    total_minor: int


@dataclass(frozen=True, slots=True)
class StatsRow:
    status: str
    currency: str
    order_count: int
    total_minor: int
    """Exact, and may pass 2^63."""


@dataclass(frozen=True, slots=True)
class OrderStats:
    rows: list[StatsRow]
    customer: rm.CustomerDoc | None


async def get_order_stats(
    ctx: QueryContext,
    customer_id: str,
    statuses: Sequence[str],
    created_after: datetime | None,
    created_before: datetime | None,
    consistency: ReadConsistency,
    *,
    wait_seconds: float,
) -> Answer[OrderStats]:
    async with ctx.reads() as ctx:
        reached = await prepare(
            ctx,
            [
                optional_id_violation("customer_id", customer_id),
                *status_violations(statuses),
                time_range_violation(created_after, created_before),
            ],
            consistency,
            wait_seconds=wait_seconds,
        )
        customer = await find_customer(ctx, customer_id) if customer_id else None
        match = order_filter(frozenset(statuses), created_after, created_before)
        if customer_id:
            match["customer_id"] = customer_id
        pipeline: list[dict[str, Any]] = [
            {"$match": match},
            {
                "$group": {
                    "_id": {"status": "$status", "currency": "$total.currency"},
                    "order_count": {"$sum": 1},
                    # Each total fits int64, their sum need not: summed as Decimal128, exact
                    # for fewer than 10^18 orders per group (see read_models).
                    "total_minor": {"$sum": {"$toDecimal": "$total.amount_minor"}},
                }
            },
        ]
        groups, progress = await with_progress(
            ctx, rm.ORDER_SUMMARIES, ctx.store.aggregate(rm.ORDER_SUMMARIES, pipeline, _Group)
        )
        rows = sorted(
            (
                StatsRow(
                    status=group.key.status,
                    currency=group.key.currency,
                    order_count=group.order_count,
                    total_minor=group.total_minor,
                )
                for group in groups
            ),
            key=lambda row: (_STATUS_RANK.get(row.status, len(_STATUS_RANK)), row.currency),
        )
        stats = OrderStats(rows=rows, customer=customer)
        return Answer(stats, freshness(reached, progress))
