"""Sales analytics from the projector's pre-calculated per-day totals, summed over shards."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from orders_contracts import read_models as rm
from read_service.consistency import ReadConsistency
from read_service.queries.context import Answer, QueryContext, freshness, prepare, with_progress
from read_service.validation import currency_violation, day_of, day_range_violations


@dataclass(frozen=True, slots=True)
class SalesTotals:
    order_count: int
    revenue_minor: int
    """Exact, and may pass 2^63: the read model holds it as Decimal128."""
    cancelled_order_count: int

    @property
    def average_order_value_minor(self) -> int:
        # Each order counted adds a total of at most 10^16 (see read_models), so the floor of
        # the mean is at most 10^16 too, however large revenue_minor grows.
        return self.revenue_minor // self.order_count if self.order_count else 0


@dataclass(frozen=True, slots=True)
class DailySales:
    day: date
    totals: SalesTotals


@dataclass(frozen=True, slots=True)
class CurrencySales:
    currency: str
    totals: SalesTotals
    daily: list[DailySales]


async def get_sales_analytics(
    ctx: QueryContext,
    start_date: tuple[int, int, int] | None,
    end_date: tuple[int, int, int] | None,
    currency: str,
    consistency: ReadConsistency,
    *,
    wait_seconds: float,
) -> Answer[list[CurrencySales]]:
    start, end = day_of("start_date", start_date), day_of("end_date", end_date)
    async with ctx.reads() as ctx:
        reached = await prepare(
            ctx,
            [*day_range_violations(start, end), currency_violation(currency)],
            consistency,
            wait_seconds=wait_seconds,
        )
        # Both are dates here: a bad one was refused above.
        assert isinstance(start, date)
        assert isinstance(end, date)
        query: dict[str, Any] = {"day": {"$gte": start.isoformat(), "$lte": end.isoformat()}}
        if currency:
            query["currency"] = currency
        days = ctx.store.find(rm.SALES_BY_DAY, query, rm.SalesByDayDoc)
        documents, progress = await with_progress(ctx, rm.SALES_BY_DAY, days)
        return Answer(summarise_sales(documents, start, end), freshness(reached, progress))


def summarise_sales(
    documents: Iterable[rm.SalesByDayDoc], start: date, end: date
) -> list[CurrencySales]:
    """Per currency with any order in the range: totals and a gap-free daily series.

    A day and currency may have several documents, one per projector replica that counted its
    orders (``projector.analytics``): its totals are their sum, exact as Python ints."""
    per_currency: dict[str, dict[date, SalesTotals]] = {}
    for document in documents:
        day = date.fromisoformat(document.day)
        counted = per_currency.setdefault(document.currency, {})
        before = counted.get(day, SalesTotals(0, 0, 0))
        counted[day] = SalesTotals(
            order_count=before.order_count + document.orders,
            revenue_minor=before.revenue_minor + document.revenue_minor,
            cancelled_order_count=before.cancelled_order_count + document.cancelled_orders,
        )
    days = [start + timedelta(days=offset) for offset in range((end - start).days + 1)]
    empty = SalesTotals(0, 0, 0)
    result = []
    for currency in sorted(per_currency):
        daily = [DailySales(day, per_currency[currency].get(day, empty)) for day in days]
        totals = SalesTotals(
            order_count=sum(entry.totals.order_count for entry in daily),
            revenue_minor=sum(entry.totals.revenue_minor for entry in daily),
            cancelled_order_count=sum(entry.totals.cancelled_order_count for entry in daily),
        )
        if totals.order_count or totals.cancelled_order_count:
            result.append(CurrencySales(currency, totals, daily))
    return result
