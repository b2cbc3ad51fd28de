"""Every reason the services send, provoked for real and raised as its typed exception with the
code, the reason, its metadata and the field violations."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import grpc
import pytest
from kurrentdbclient import NewEvent, StreamState
from pymongo import AsyncMongoClient

import orders_client
from orders.v1 import command_service_pb2 as cmd
from orders.v1 import consistency_pb2, errors_pb2, types_pb2
from orders.v1 import query_service_pb2 as q
from orders_client import (
    NO_RETRY,
    ConsistencyNotReached,
    CustomerAlreadyExists,
    CustomerNotFound,
    IdempotencyKeyReused,
    IllegalTransition,
    InvalidRequest,
    OrderAlreadyExists,
    OrderNotFound,
    OrdersClient,
    OrdersError,
    ReadStoreUnavailable,
    StreamUnreadable,
    ValidationFailed,
    error_class,
)
from orders_runtime.ports import free_port
from tests.clients.conftest import ClientStack
from tests.clients.orders_requests import order, registration
from tests.read_service.read_harness import running_read_service, settings_for

Provoke = Callable[[ClientStack], Awaitable[object]]


@dataclass(frozen=True)
class Case:
    reason: str
    raised: type[OrdersError]
    code: grpc.StatusCode
    provoke: Provoke
    metadata_keys: frozenset[str] = frozenset()


async def _invalid_request(stack: ClientStack) -> object:
    request = order("c-1")
    request.lines[0].quantity = 0
    request.lines.add(sku="PEN-7", quantity=1, unit_price=types_pb2.Money(currency_code="eur"))
    return await stack.client.commands.place_order(request)


async def _order_not_found(stack: ClientStack) -> object:
    return await stack.client.queries.get_order_summary(
        q.GetOrderSummaryRequest(order_id=f"o-{uuid.uuid4().hex}")
    )


async def _customer_not_found(stack: ClientStack) -> object:
    return await stack.client.commands.place_order(order(f"c-{uuid.uuid4().hex}"))


async def _order_already_exists(stack: ClientStack) -> object:
    customer = await stack.client.commands.register_customer(registration())
    request = order(customer.customer_id)
    request.order_id = f"o-{uuid.uuid4().hex}"
    await stack.client.commands.place_order(request)
    return await stack.client.commands.place_order(request)  # another fresh key


async def _customer_already_exists(stack: ClientStack) -> object:
    request = registration(customer_id=f"c-{uuid.uuid4().hex}")
    await stack.client.commands.register_customer(request)
    return await stack.client.commands.register_customer(request)


async def _idempotency_key_reused(stack: ClientStack) -> object:
    first, second = registration("Ada Lovelace"), registration("Grace Hopper")
    first.idempotency_key = second.idempotency_key = uuid.uuid4().hex
    await stack.client.commands.register_customer(first)
    return await stack.client.commands.register_customer(second)


async def _illegal_transition(stack: ClientStack) -> object:
    customer = await stack.client.commands.register_customer(registration())
    placed = await stack.client.commands.place_order(order(customer.customer_id))
    return await stack.client.commands.ship_order(
        cmd.ShipOrderRequest(order_id=placed.order_id, carrier="DHL", tracking_number="T-1")
    )


async def _consistency_not_reached(stack: ClientStack) -> object:
    async with OrdersClient.connect(stack.write_addr, stack.read_addr, timeout_seconds=2) as client:
        session = client.session()
        customer = await session.commands.register_customer(registration())
        # A write the projection will never reach: the read service gives up before the deadline.
        session.advance(
            consistency_pb2.ConsistencyToken(
                stream=f"customer-{customer.customer_id}", revision=7, commit_position=2**62
            )
        )
        return await session.queries.get_customer(
            q.GetCustomerRequest(customer_id=customer.customer_id)
        )


async def _stream_unreadable(stack: ClientStack) -> object:
    order_id = f"o-{uuid.uuid4().hex}"
    await stack.stack.eventstore.append_to_stream(
        f"order-{order_id}",
        current_version=StreamState.ANY,
        events=[NewEvent(type="SomethingElse", data=b"{}", content_type="application/json")],
    )
    return await stack.client.commands.deliver_order(cmd.DeliverOrderRequest(order_id=order_id))


CASES = [
    Case("INVALID_REQUEST", InvalidRequest, grpc.StatusCode.INVALID_ARGUMENT, _invalid_request),
    Case(
        "ORDER_NOT_FOUND",
        OrderNotFound,
        grpc.StatusCode.NOT_FOUND,
        _order_not_found,
        frozenset({"order_id"}),
    ),
    Case(
        "CUSTOMER_NOT_FOUND",
        CustomerNotFound,
        grpc.StatusCode.NOT_FOUND,
        _customer_not_found,
        frozenset({"customer_id"}),
    ),
    Case(
        "ORDER_ALREADY_EXISTS",
        OrderAlreadyExists,
        grpc.StatusCode.ALREADY_EXISTS,
        _order_already_exists,
        frozenset({"order_id"}),
    ),
    Case(
        "CUSTOMER_ALREADY_EXISTS",
        CustomerAlreadyExists,
        grpc.StatusCode.ALREADY_EXISTS,
        _customer_already_exists,
        frozenset({"customer_id"}),
    ),
    Case(
        "IDEMPOTENCY_KEY_REUSED",
        IdempotencyKeyReused,
        grpc.StatusCode.ALREADY_EXISTS,
        _idempotency_key_reused,
        frozenset({"idempotency_key"}),
    ),
    Case(
        "ILLEGAL_TRANSITION",
        IllegalTransition,
        grpc.StatusCode.FAILED_PRECONDITION,
        _illegal_transition,
        frozenset({"order_id", "current_status", "requested_status"}),
    ),
    Case(
        "CONSISTENCY_NOT_REACHED",
        ConsistencyNotReached,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        _consistency_not_reached,
        frozenset({"stream", "min_revision", "min_commit_position", "projected_commit_position"}),
    ),
    Case(
        "STREAM_UNREADABLE",
        StreamUnreadable,
        grpc.StatusCode.DATA_LOSS,
        _stream_unreadable,
        frozenset({"stream", "revision", "event_type"}),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.reason for case in CASES])
async def test_each_reason_is_raised_as_its_typed_exception(
    client_stack: ClientStack, case: Case
) -> None:
    with pytest.raises(OrdersError) as caught:
        await case.provoke(client_stack)

    error = caught.value
    assert type(error) is case.raised
    assert error.code == case.code
    assert error.reason == errors_pb2.ErrorReason.Value(case.reason)
    assert error.reason_name == case.reason
    assert case.metadata_keys <= set(error.metadata)


async def test_a_bad_request_carries_every_field_violation(client_stack: ClientStack) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await _invalid_request(client_stack)

    violations = caught.value.violations
    assert "lines[0].quantity" in violations
    assert "lines[1].unit_price.currency_code" in violations
    assert [v.field for v in caught.value.field_violations] == list(violations)


@pytest.mark.servers
async def test_a_read_store_outage_is_raised_as_read_store_unavailable() -> None:
    unreachable = f"mongodb://127.0.0.1:{free_port()}/?directConnection=true"
    mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        unreachable, serverSelectionTimeoutMS=300
    )
    try:
        async with running_read_service(mongo, mongo, settings_for("nowhere")) as reads:
            address = f"127.0.0.1:{reads.port}"
            async with OrdersClient.connect(address, address, retry=NO_RETRY) as client:
                with pytest.raises(ReadStoreUnavailable) as caught:
                    await client.queries.get_order_summary(q.GetOrderSummaryRequest(order_id="o-1"))
        assert caught.value.code == grpc.StatusCode.UNAVAILABLE
    finally:
        await mongo.close()


def _camel(reason: str) -> str:
    return "".join(word.capitalize() for word in reason.split("_"))


REASONS = [name for name, _ in errors_pb2.ErrorReason.items() if name != "ERROR_REASON_UNSPECIFIED"]


@pytest.mark.parametrize("reason", REASONS)
def test_every_reason_of_the_contract_has_an_exception_named_after_it(reason: str) -> None:
    cls = error_class(errors_pb2.ErrorReason.Value(reason))
    assert cls.__name__ == _camel(reason)
    assert getattr(orders_client, cls.__name__) is cls
    assert re.fullmatch(r"[A-Z][A-Za-z]+", cls.__name__)
