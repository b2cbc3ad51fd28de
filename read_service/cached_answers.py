"""GetOrderSummary and ListCustomerOrders answered from the answer cache when they can be.

Only token-less reads use the cache: a read with a consistency token must see MongoDB after the
token is reached, as without the cache. Requests are validated before any lookup, so a bad one
is refused exactly as before. A hit copies the cached messages and takes ReadMetadata's
progress from the shared progress copy (progress moves; it is never cached).

A read that may fill the cache goes to the primary whatever READ_SERVICE_READ_PREFERENCE says:
the cache is kept exact by the primary's change stream, and an answer from a secondary that had
not yet applied a change the stream already reported would be kept until the order next changes.
"""

from __future__ import annotations

from orders.v1 import query_service_pb2 as pb
from orders.v1 import views_pb2
from orders_contracts import read_models as rm
from read_service import messages
from read_service.answer_cache import AnswerCache, CachedOrder, CachedPage
from read_service.queries import listing, orders
from read_service.queries.context import NO_TOKEN, Freshness, QueryContext, freshness
from read_service.read_store import Progress
from read_service.validation import effective_page_size, id_violation, raise_if_any

SummaryCache = AnswerCache[views_pb2.OrderSummary]


class CachedAnswers:
    def __init__(self, ctx: QueryContext, cache: SummaryCache) -> None:
        self._ctx = ctx
        self._filling = ctx.on_primary()
        self._cache = cache

    async def order_summary(
        self, request: pb.GetOrderSummaryRequest, wait_seconds: float
    ) -> pb.GetOrderSummaryResponse:
        consistency = messages.read_consistency(request.consistency)
        order_id = request.order_id
        epoch = None
        if consistency.token is None and self._cache.serving:
            raise_if_any([v for v in (id_violation("order_id", order_id),) if v is not None])
            hit = self._cache.order(order_id)
            if hit is not None:
                progress = await self._progress()
                projected_at = hit.projected_at or progress.updated_at
                fresh = Freshness(
                    False, progress.commit_position, projected_at, stream_revision=hit.revision
                )
                return pb.GetOrderSummaryResponse(
                    order=hit.message, read_metadata=messages.read_metadata(fresh)
                )
            epoch = self._fill_epoch()
        answer = await orders.get_order_summary(
            self._ctx if epoch is None else self._filling,
            order_id,
            consistency,
            wait_seconds=wait_seconds,
        )
        summary = answer.value
        message = messages.order_summary(summary)
        if epoch is not None and self._still_following():
            entry = CachedOrder(
                message=message,
                customer_id=summary.customer_id,
                revision=summary.revision,
                projected_at=summary.projected_at,
            )
            self._cache.store_order(epoch, order_id, entry)
        return pb.GetOrderSummaryResponse(
            order=message, read_metadata=messages.read_metadata(answer.freshness)
        )

    async def customer_orders(
        self, request: pb.ListCustomerOrdersRequest, wait_seconds: float
    ) -> pb.ListCustomerOrdersResponse:
        consistency = messages.read_consistency(request.consistency)
        customer_id, page_token = request.customer_id, request.page_token
        page_size = request.page_size
        epoch = None
        if consistency.token is None and self._cache.serving:
            raise_if_any(listing.customer_orders_violations(customer_id, page_size, page_token))
            hit = self._cache.page(customer_id, effective_page_size(page_size), page_token)
            if hit is not None:
                progress = await self._progress()
                return pb.ListCustomerOrdersResponse(
                    orders=hit.messages,
                    next_page_token=hit.next_page_token,
                    read_metadata=messages.read_metadata(freshness(NO_TOKEN, progress)),
                )
            epoch = self._fill_epoch()
        answer = await listing.list_customer_orders(
            self._ctx if epoch is None else self._filling,
            customer_id,
            page_size,
            page_token,
            consistency,
            wait_seconds=wait_seconds,
        )
        found = tuple(messages.order_summary(doc) for doc in answer.value.orders)
        if epoch is not None and self._still_following():
            entry = CachedPage(messages=found, next_page_token=answer.value.next_page_token)
            self._cache.store_page(
                epoch, customer_id, effective_page_size(page_size), page_token, entry
            )
        return pb.ListCustomerOrdersResponse(
            orders=found,
            next_page_token=answer.value.next_page_token,
            read_metadata=messages.read_metadata(answer.freshness),
        )

    def _fill_epoch(self) -> int | None:
        # A read through a version other than the followed one (the store's copy of the
        # pointer lags a switch by up to its TTL) must not be kept.
        return self._cache.begin() if self._still_following() else None

    def _still_following(self) -> bool:
        followed = self._cache.version
        return followed is not None and self._ctx.store.known_version == followed

    async def _progress(self) -> Progress:
        return await self._ctx.progress.progress(rm.ORDER_SUMMARIES)
