"""The customer query: profile, order count and lifetime value."""

from __future__ import annotations

from orders_contracts import read_models as rm
from orders_contracts.stored_sums import from_store
from read_service.consistency import ReadConsistency
from read_service.errors import NotFoundError
from read_service.queries.context import Answer, QueryContext, freshness, prepare, with_progress
from read_service.read_store import Document
from read_service.validation import id_violation


async def get_customer(
    ctx: QueryContext, customer_id: str, consistency: ReadConsistency, *, wait_seconds: float
) -> Answer[Document]:
    reached = await prepare(
        ctx, [id_violation("customer_id", customer_id)], consistency, wait_seconds=wait_seconds
    )
    customer, progress = await with_progress(ctx, rm.CUSTOMERS, find_customer(ctx, customer_id))
    return Answer(customer, freshness(reached, progress, customer))


async def find_customer(ctx: QueryContext, customer_id: str) -> Document:
    found = await ctx.store.find_by_id(rm.CUSTOMERS, customer_id)
    if found is None:
        raise NotFoundError("customer", customer_id)
    # Lifetime values as exact ints, from Decimal128 (or int64 of an older read model).
    return from_store(rm.CUSTOMERS, found)
