"""Single-order queries: the listing view and the full view of one order."""

from __future__ import annotations

from dataclasses import dataclass

from orders_contracts import read_models as rm
from read_service.consistency import ReadConsistency
from read_service.errors import NotFoundError
from read_service.queries.context import Answer, QueryContext, freshness, prepare, with_progress
from read_service.read_store import Shape
from read_service.validation import id_violation


@dataclass(frozen=True, slots=True)
class OrderDetailsView:
    details: rm.OrderDetailsDoc
    summary: rm.OrderSummaryDoc
    customer_email: str | None


async def get_order_summary(
    ctx: QueryContext, order_id: str, consistency: ReadConsistency, *, wait_seconds: float
) -> Answer[rm.OrderSummaryDoc]:
    async with ctx.reads() as ctx:
        reached = await prepare(
            ctx, [id_violation("order_id", order_id)], consistency, wait_seconds=wait_seconds
        )
        summary, progress = await with_progress(
            ctx,
            rm.ORDER_SUMMARIES,
            _find_order(ctx, rm.ORDER_SUMMARIES, order_id, rm.OrderSummaryDoc),
        )
        return Answer(summary, freshness(reached, progress, summary))


async def get_order_details(
    ctx: QueryContext, order_id: str, consistency: ReadConsistency, *, wait_seconds: float
) -> Answer[OrderDetailsView]:
    async with ctx.reads() as ctx:
        reached = await prepare(
            ctx,
            [id_violation("order_id", order_id)],
            consistency,
            wait_seconds=wait_seconds,
            order_model=rm.ORDER_DETAILS,
        )
        details, progress = await with_progress(
            ctx, rm.ORDER_DETAILS, _find_order(ctx, rm.ORDER_DETAILS, order_id, rm.OrderDetailsDoc)
        )
        # Both documents are written in the same batch transaction, so they agree on the revision.
        summary = await _find_order(ctx, rm.ORDER_SUMMARIES, order_id, rm.OrderSummaryDoc)
        customer = await ctx.store.find_by_id(
            rm.CUSTOMERS, details.customer.customer_id, rm.CustomerDoc
        )
        email = None if customer is None else customer.email
        view = OrderDetailsView(details=details, summary=summary, customer_email=email)
        return Answer(view, freshness(reached, progress, details))


async def _find_order(ctx: QueryContext, model: str, order_id: str, shape: type[Shape]) -> Shape:
    found = await ctx.store.find_by_id(model, order_id, shape)
    if found is None:
        raise NotFoundError("order", order_id)
    return found
