"""The gRPC edge of the live queries: request -> watch -> stream of messages.

A token bound to a customer may watch only that customer's orders: WatchCustomerOrders is
checked on the request by the guard; WatchOrder here, on the order's first read (as the guard
checks GetOrderDetails on its answer), before anything is sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Final, TypeVar

from orders.v1 import consistency_pb2, query_service_pb2
from orders_contracts import read_models as rm
from orders_contracts.streams import ORDER_STREAM_PREFIX
from orders_runtime.auth_errors import CustomerMismatchError
from orders_runtime.principal import current_principal
from read_service import messages
from read_service.consistency import ConsistencyToken, ReadConsistency
from read_service.errors import NotFoundError
from read_service.queries.context import QueryContext
from read_service.watch_hub import WatchHub
from read_service.watch_streams import Kind, Update, Watch, updates

_KINDS: Final = {
    Kind.SNAPSHOT: query_service_pb2.WATCH_MESSAGE_KIND_SNAPSHOT,
    Kind.CHANGE: query_service_pb2.WATCH_MESSAGE_KIND_CHANGE,
    Kind.RESYNC: query_service_pb2.WATCH_MESSAGE_KIND_RESYNC,
    Kind.CAUGHT_UP: query_service_pb2.WATCH_MESSAGE_KIND_CAUGHT_UP,
}

Response = TypeVar(
    "Response", query_service_pb2.WatchOrderResponse, query_service_pb2.WatchCustomerOrdersResponse
)


class WatchApi:
    def __init__(self, ctx: QueryContext, hub: WatchHub) -> None:
        self._ctx = ctx
        self._hub = hub

    async def watch_order(
        self, request: query_service_pb2.WatchOrderRequest, wait_seconds: float
    ) -> AsyncIterator[query_service_pb2.WatchOrderResponse]:
        """Its fields were checked (request_checks) before the call reaches here."""
        order_id = request.order_id
        tokens = [request.resume_token] if request.HasField("resume_token") else []

        async def read() -> list[rm.OrderSummaryDoc]:
            found = await self._ctx.store.find_by_id(
                rm.ORDER_SUMMARIES, order_id, rm.OrderSummaryDoc
            )
            return [] if found is None else [found]

        def check(first: list[rm.OrderSummaryDoc]) -> None:
            if not first:
                raise NotFoundError("order", order_id)
            principal = current_principal()
            bound = principal.customer_id if principal is not None else ""
            if bound and first[0].customer_id != bound:
                raise CustomerMismatchError

        watch = Watch(
            lambda: self._hub.subscribe(order_id=order_id),
            read,
            [],
            _consistency(request.consistency, tokens),
            _resume(tokens),
            wait_seconds,
            check,
        )
        async for update in updates(self._ctx, self._hub, watch):
            yield _message(query_service_pb2.WatchOrderResponse(), update)

    async def watch_customer_orders(
        self, request: query_service_pb2.WatchCustomerOrdersRequest, wait_seconds: float
    ) -> AsyncIterator[query_service_pb2.WatchCustomerOrdersResponse]:
        """Its fields were checked (request_checks) before the call reaches here."""
        customer_id = request.customer_id
        tokens = list(request.resume_tokens)

        async def read() -> list[rm.OrderSummaryDoc]:
            return await self._ctx.store.find(
                rm.ORDER_SUMMARIES,
                {"customer_id": customer_id},
                rm.OrderSummaryDoc,
                sort=[("created_at", 1), ("_id", 1)],
            )

        watch = Watch(
            lambda: self._hub.subscribe(customer_id=customer_id),
            read,
            [],
            _consistency(request.consistency, []),
            _resume(tokens),
            wait_seconds,
        )
        async for update in updates(self._ctx, self._hub, watch):
            yield _message(query_service_pb2.WatchCustomerOrdersResponse(), update)


def _message(response: Response, update: Update) -> Response:
    response.kind = _KINDS[update.kind]
    summary = update.summary
    if summary is not None:
        response.order.CopyFrom(messages.order_summary(summary))
        response.token.CopyFrom(
            consistency_pb2.ConsistencyToken(
                stream=f"{ORDER_STREAM_PREFIX}{summary.order_id}",
                revision=summary.revision,
                commit_position=max(0, summary.commit_position),
            )
        )
    if update.previous_revision is not None:
        response.previous_revision = update.previous_revision
    if update.freshness is not None:
        response.read_metadata.CopyFrom(messages.read_metadata(update.freshness))
    return response


def _consistency(
    message: consistency_pb2.ReadConsistency, tokens: list[consistency_pb2.ConsistencyToken]
) -> ReadConsistency:
    if message.HasField("min_token") or len(tokens) != 1:
        return messages.read_consistency(message)
    # A stream resumed on a replica that lags behind the one it left waits to catch up.
    token = tokens[0]
    return ReadConsistency(ConsistencyToken(token.stream, token.revision, token.commit_position))


def _resume(tokens: list[consistency_pb2.ConsistencyToken]) -> dict[str, int]:
    resume: dict[str, int] = {}
    for token in tokens:
        order_id = token.stream.removeprefix(ORDER_STREAM_PREFIX)
        resume[order_id] = max(resume.get(order_id, 0), token.revision)
    return resume
