"""The gRPC edge of the live queries: request -> watch -> stream of messages.

A token bound to a customer may watch only that customer's orders: WatchCustomerOrders is
checked on the request by the guard; WatchOrder here, on the order's first read (as the guard
checks GetOrderDetails on its answer), before anything is sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Final, TypeVar

from orders.v1 import consistency_pb2, query_service_pb2
from orders_contracts import read_models as rm
from orders_contracts.streams import ORDER_STREAM_PREFIX
from orders_runtime.auth_errors import CustomerMismatchError
from orders_runtime.principal import current_principal
from read_service import messages
from read_service.consistency import ConsistencyToken, ReadConsistency
from read_service.errors import FieldViolation, NotFoundError
from read_service.queries.context import QueryContext
from read_service.validation import id_violation, raise_if_any
from read_service.watch_hub import WatchHub
from read_service.watch_streams import Kind, Update, Watch, updates

MAX_RESUME_TOKENS: Final = 1000
_MAX_POSITION: Final = 2**63 - 1
_POLICIES: Final = frozenset(consistency_pb2.StalenessPolicy.values())
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
        order_id = request.order_id
        tokens = [request.resume_token] if request.HasField("resume_token") else []
        violations = [
            id_violation("order_id", order_id),
            *_token_violations(tokens, "resume_token", order_id),
            *_consistency_checks(request.consistency),
        ]
        raise_if_any([v for v in violations if v is not None])

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
        customer_id = request.customer_id
        tokens = list(request.resume_tokens)
        violations = [
            id_violation("customer_id", customer_id),
            *_token_violations(tokens, "resume_tokens", None),
            *_consistency_checks(request.consistency),
        ]
        if len(tokens) > MAX_RESUME_TOKENS:
            violations.append(
                FieldViolation("resume_tokens", f"must be at most {MAX_RESUME_TOKENS} tokens")
            )
        raise_if_any([v for v in violations if v is not None])

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


def _token_violations(
    tokens: list[consistency_pb2.ConsistencyToken], field: str, order_id: str | None
) -> Iterator[FieldViolation | None]:
    for index, token in enumerate(tokens):
        name = field if order_id is not None else f"{field}[{index}]"
        stream = token.stream
        if not stream.startswith(ORDER_STREAM_PREFIX):
            yield FieldViolation(f"{name}.stream", "must name an order stream ('order-<id>')")
        elif order_id is not None and stream != f"{ORDER_STREAM_PREFIX}{order_id}":
            yield FieldViolation(f"{name}.stream", "must name the watched order's stream")
        else:
            yield id_violation(f"{name}.stream", stream.removeprefix(ORDER_STREAM_PREFIX))
        for part in ("revision", "commit_position"):
            if getattr(token, part) > _MAX_POSITION:
                yield FieldViolation(f"{name}.{part}", f"must be at most {_MAX_POSITION}")


def _consistency_checks(message: consistency_pb2.ReadConsistency) -> Iterator[FieldViolation]:
    if message.policy not in _POLICIES:
        yield FieldViolation("consistency.policy", "must be a StalenessPolicy value")
    if message.HasField("min_token"):
        for part in ("revision", "commit_position"):
            if getattr(message.min_token, part) > _MAX_POSITION:
                yield FieldViolation(
                    f"consistency.min_token.{part}", f"must be at most {_MAX_POSITION}"
                )
