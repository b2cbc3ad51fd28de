"""The customer query: profile, order count and lifetime value."""

from __future__ import annotations

from orders_contracts import read_models as rm
from read_service.consistency import ReadConsistency
from read_service.errors import NotFoundError
from read_service.queries.context import Answer, QueryContext, freshness, prepare, with_progress
from read_service.validation import id_violation


async def get_customer(
    ctx: QueryContext, customer_id: str, consistency: ReadConsistency, *, wait_seconds: float
) -> Answer[rm.CustomerDoc]:
    async with ctx.reads() as ctx:
        reached = await prepare(
            ctx, [id_violation("customer_id", customer_id)], consistency, wait_seconds=wait_seconds
        )
        customer, progress = await with_progress(ctx, rm.CUSTOMERS, find_customer(ctx, customer_id))
        return Answer(customer, freshness(reached, progress, customer))


async def find_customer(ctx: QueryContext, customer_id: str) -> rm.CustomerDoc:
    found = await ctx.store.find_by_id(rm.CUSTOMERS, customer_id, rm.CustomerDoc)
    if found is None:
        raise NotFoundError("customer", customer_id)
    return found
