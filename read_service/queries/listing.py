"""Paged order listings, newest first, keyed on (created_at, order id) rather than skip.

Keyset paging keeps every page stable while orders are being placed: a new order sorts before
the cursor, so a walk neither repeats nor skips any order that existed when it started.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orders_contracts import read_models as rm
from read_service.consistency import ReadConsistency
from read_service.errors import FieldViolation
from read_service.page_token import (
    Cursor,
    InvalidPageTokenError,
    decode_page_token,
    encode_page_token,
    filter_digest,
)
from read_service.queries.context import Answer, QueryContext, freshness, prepare, with_progress
from read_service.validation import (
    effective_page_size,
    id_violation,
    page_size_violation,
    status_violations,
    time_range_violation,
)

_NEWEST_FIRST = [("created_at", -1), ("_id", -1)]


@dataclass(frozen=True, slots=True)
class Page:
    orders: list[rm.OrderSummaryDoc]
    next_page_token: str


async def list_customer_orders(
    ctx: QueryContext,
    customer_id: str,
    page_size: int,
    page_token: str,
    consistency: ReadConsistency,
    *,
    wait_seconds: float,
) -> Answer[Page]:
    digest = filter_digest("ListCustomerOrders", customer_id)
    cursor = _cursor_or_violation(page_token, digest)
    async with ctx.reads() as ctx:
        reached = await prepare(
            ctx,
            _customer_orders_violations(customer_id, page_size, cursor),
            consistency,
            wait_seconds=wait_seconds,
        )
        page, progress = await with_progress(
            ctx,
            rm.ORDER_SUMMARIES,
            _page(ctx, {"customer_id": customer_id}, page_size, _good(cursor), digest),
        )
        return Answer(page, freshness(reached, progress))


def customer_orders_violations(
    customer_id: str, page_size: int, page_token: str
) -> list[FieldViolation]:
    """What list_customer_orders refuses, for callers that must refuse it before anything else."""
    cursor = _cursor_or_violation(page_token, filter_digest("ListCustomerOrders", customer_id))
    found = _customer_orders_violations(customer_id, page_size, cursor)
    return [violation for violation in found if violation is not None]


def _customer_orders_violations(
    customer_id: str, page_size: int, cursor: Cursor | FieldViolation | None
) -> list[FieldViolation | None]:
    return [id_violation("customer_id", customer_id), page_size_violation(page_size), _bad(cursor)]


async def list_orders(
    ctx: QueryContext,
    statuses: Sequence[str],
    created_after: datetime | None,
    created_before: datetime | None,
    page_size: int,
    page_token: str,
    consistency: ReadConsistency,
    *,
    wait_seconds: float,
) -> Answer[Page]:
    wanted = frozenset(statuses)
    digest = filter_digest("ListOrders", wanted, created_after, created_before)
    cursor = _cursor_or_violation(page_token, digest)
    async with ctx.reads() as ctx:
        reached = await prepare(
            ctx,
            [
                *status_violations(statuses),
                time_range_violation(created_after, created_before),
                page_size_violation(page_size),
                _bad(cursor),
            ],
            consistency,
            wait_seconds=wait_seconds,
        )
        query = order_filter(wanted, created_after, created_before)
        page, progress = await with_progress(
            ctx, rm.ORDER_SUMMARIES, _page(ctx, query, page_size, _good(cursor), digest)
        )
        return Answer(page, freshness(reached, progress))


def order_filter(
    statuses: frozenset[str], created_after: datetime | None, created_before: datetime | None
) -> dict[str, Any]:
    query: dict[str, Any] = {}
    if statuses:
        query["status"] = {"$in": sorted(statuses)}
    created: dict[str, datetime] = {}
    if created_after is not None:
        created["$gte"] = created_after
    if created_before is not None:
        created["$lt"] = created_before
    if created:
        query["created_at"] = created
    return query


async def _page(
    ctx: QueryContext, query: dict[str, Any], page_size: int, cursor: Cursor | None, digest: str
) -> Page:
    size = effective_page_size(page_size)
    if cursor is not None:
        after_cursor = {
            "$or": [
                {"created_at": {"$lt": cursor.created_at}},
                {"created_at": cursor.created_at, "_id": {"$lt": cursor.order_id}},
            ]
        }
        query = {"$and": [query, after_cursor]} if query else after_cursor
    # One more than the page tells whether another page follows, so the last page has no token.
    found = await ctx.store.find(
        rm.ORDER_SUMMARIES, query, rm.OrderSummaryDoc, sort=_NEWEST_FIRST, limit=size + 1
    )
    orders = found[:size]
    if len(found) <= size:
        return Page(orders, "")
    last = orders[-1]
    return Page(orders, encode_page_token(Cursor(last.created_at, last.id), digest))


def _cursor_or_violation(page_token: str, digest: str) -> Cursor | FieldViolation | None:
    if not page_token:
        return None
    try:
        return decode_page_token(page_token, digest)
    except InvalidPageTokenError as error:
        return FieldViolation("page_token", str(error))


def _bad(cursor: Cursor | FieldViolation | None) -> FieldViolation | None:
    return cursor if isinstance(cursor, FieldViolation) else None


def _good(cursor: Cursor | FieldViolation | None) -> Cursor | None:
    return cursor if isinstance(cursor, Cursor) else None
