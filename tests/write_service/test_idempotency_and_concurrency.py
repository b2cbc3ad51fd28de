"""Retries with an idempotency key, reused keys, and commands racing on one order."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import grpc
from kurrentdbclient import StreamState

from orders.v1 import types_pb2
from tests.write_service.harness import WriteService, running_write_service
from tests.write_service.rpc_calls import cancel, failure, new_id, pay, place, register, ship
from write_service.domain.commands import RegisterCustomer
from write_service.domain.decider import Kind, decide, initial
from write_service.idempotency import fingerprint
from write_service.stream_records import CommandMetadata, new_events


async def test_a_retried_order_returns_the_original_response_and_appends_nothing(
    write_service: WriteService,
) -> None:
    api, customer_id = write_service.commands, new_id("c")
    await api.RegisterCustomer(register(customer_id))
    request = place("", customer_id, key="")
    request.ClearField("idempotency_key")
    key = (("idempotency-key", new_id("key")),)

    first = await api.PlaceOrder(request, metadata=key)
    again = await api.PlaceOrder(request, metadata=key)

    assert again == first
    assert len(await write_service.events(f"order-{first.order_id}")) == 1


async def test_a_retry_is_answered_as_it_was_even_after_later_steps_and_on_another_server(
    write_service: WriteService, eventstore_uri: str
) -> None:
    api, customer_id, order_id = write_service.commands, new_id("c"), new_id("o")
    await api.RegisterCustomer(register(customer_id))
    await api.PlaceOrder(place(order_id, customer_id))
    payment = pay(order_id)
    payment.payment_id = ""
    paid = await api.ProcessPayment(payment)
    await api.ShipOrder(ship(order_id))

    async with running_write_service(eventstore_uri) as other_server:
        again = await other_server.commands.ProcessPayment(payment)

    assert again == paid
    assert again.status == types_pb2.ORDER_STATUS_PAID
    assert len(await write_service.events(f"order-{order_id}")) == 3


async def test_a_retried_order_on_a_server_that_never_saw_it_gets_the_original_answer(
    write_service: WriteService, eventstore_uri: str
) -> None:
    customer_id = new_id("c")
    await write_service.commands.RegisterCustomer(register(customer_id))
    request = place("", customer_id)
    placed = await write_service.commands.PlaceOrder(request)

    async with running_write_service(eventstore_uri) as other_server:
        again = await other_server.commands.PlaceOrder(request)
        changed = place("", customer_id, key=request.idempotency_key)
        changed.lines[0].quantity += 1
        refused = await failure(other_server.commands.PlaceOrder(changed))

    assert again == placed
    assert refused.reason == "IDEMPOTENCY_KEY_REUSED"
    assert len(await write_service.events(f"order-{placed.order_id}")) == 1


async def test_a_reused_key_with_a_different_payload_is_refused(
    write_service: WriteService,
) -> None:
    api, customer_id = write_service.commands, new_id("c")
    first = register(customer_id)
    await api.RegisterCustomer(first)
    changed = register(customer_id, key=first.idempotency_key)
    changed.name = "Someone Else"

    refused = await failure(api.RegisterCustomer(changed))

    assert refused.code == grpc.StatusCode.ALREADY_EXISTS
    assert refused.reason == "IDEMPOTENCY_KEY_REUSED"
    assert refused.metadata == {"idempotency_key": first.idempotency_key}
    assert len(await write_service.events(f"customer-{customer_id}")) == 1


async def test_the_store_drops_a_repeated_append_of_a_command_whose_answer_was_lost(
    write_service: WriteService,
) -> None:
    customer_id = new_id("c")
    command = RegisterCustomer(customer_id, "Ada", "ada@example.com", datetime.now(UTC))
    key, stream = new_id("key"), f"customer-{customer_id}"
    metadata = CommandMetadata(
        command_id="c1", correlation_id="r1", causation_id="c1", payload_hash=fingerprint(command)
    )
    events = new_events(stream, key, decide(command, initial(Kind.CUSTOMER)), metadata)

    first = await write_service.store.append_to_stream(
        stream, events=events, current_version=StreamState.NO_STREAM
    )
    again = await write_service.store.append_to_stream(
        stream, events=events, current_version=StreamState.NO_STREAM
    )

    assert again == first
    assert len(await write_service.events(stream)) == 1


async def test_a_key_sent_as_field_and_metadata_must_agree(write_service: WriteService) -> None:
    request = register(new_id("c"), key="key-a")

    refused = await failure(
        write_service.commands.RegisterCustomer(request, metadata=(("idempotency-key", "key-b"),))
    )

    assert refused.code == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.fields == ["idempotency_key"]


async def test_a_key_reused_for_another_rpc_on_the_same_order_is_refused(
    write_service: WriteService,
) -> None:
    api, customer_id, order_id = write_service.commands, new_id("c"), new_id("o")
    await api.RegisterCustomer(register(customer_id))
    placed = place(order_id, customer_id)
    await api.PlaceOrder(placed)

    refused = await failure(api.CancelOrder(cancel(order_id, key=placed.idempotency_key)))

    assert refused.reason == "IDEMPOTENCY_KEY_REUSED"
    assert len(await write_service.events(f"order-{order_id}")) == 1


async def test_a_command_decided_on_a_stale_snapshot_is_retried_on_the_fresh_stream(
    eventstore_uri: str,
) -> None:
    customer_id, order_id = new_id("c"), new_id("o")
    async with (
        running_write_service(eventstore_uri) as stale,
        running_write_service(eventstore_uri) as other,
    ):
        await stale.commands.RegisterCustomer(register(customer_id))
        await stale.commands.PlaceOrder(place(order_id, customer_id))
        await other.commands.ProcessPayment(pay(order_id))

        # "stale" still believes the order unpaid: its append conflicts, it re-reads, and
        # decides again on the paid order.
        cancelled = await stale.commands.CancelOrder(cancel(order_id))

        assert cancelled.payment_status == types_pb2.PAYMENT_STATUS_REFUNDED
        assert cancelled.consistency_token.revision == 2
        assert [e.type for e in await stale.events(f"order-{order_id}")] == [
            "OrderPlaced",
            "PaymentProcessed",
            "OrderCancelled",
        ]


async def test_a_conflict_beyond_the_retry_budget_is_aborted_and_appends_nothing(
    eventstore_uri: str,
) -> None:
    customer_id, order_id = new_id("c"), new_id("o")
    async with (
        running_write_service(eventstore_uri, conflict_retries=0) as stale,
        running_write_service(eventstore_uri) as other,
    ):
        await stale.commands.RegisterCustomer(register(customer_id))
        await stale.commands.PlaceOrder(place(order_id, customer_id))
        await other.commands.ProcessPayment(pay(order_id))

        refused = await failure(stale.commands.CancelOrder(cancel(order_id)))

        assert refused.code == grpc.StatusCode.ABORTED
        assert refused.reason == "CONCURRENCY_CONFLICT"
        assert refused.metadata == {"stream": f"order-{order_id}"}
        assert len(await stale.events(f"order-{order_id}")) == 2


async def test_shipping_and_cancelling_at_once_lets_exactly_one_win(eventstore_uri: str) -> None:
    customer_id, order_id = new_id("c"), new_id("o")
    async with (
        running_write_service(eventstore_uri) as one,
        running_write_service(eventstore_uri) as two,
    ):
        await one.commands.RegisterCustomer(register(customer_id))
        await one.commands.PlaceOrder(place(order_id, customer_id))
        await one.commands.ProcessPayment(pay(order_id))

        results = await asyncio.gather(
            one.commands.ShipOrder(ship(order_id)),
            two.commands.CancelOrder(cancel(order_id)),
            return_exceptions=True,
        )

        winners = [r for r in results if not isinstance(r, BaseException)]
        losers = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
        assert len(winners) == 1
        assert len(losers) == 1
        assert losers[0].code() == grpc.StatusCode.FAILED_PRECONDITION
        stored = [e.type for e in await one.events(f"order-{order_id}")]
        assert stored[:2] == ["OrderPlaced", "PaymentProcessed"]
        assert stored[2:] in (["OrderShipped"], ["OrderCancelled"])


async def test_many_payments_at_once_take_exactly_one(eventstore_uri: str) -> None:
    customer_id, order_id = new_id("c"), new_id("o")
    async with (
        running_write_service(eventstore_uri) as one,
        running_write_service(eventstore_uri) as two,
    ):
        await one.commands.RegisterCustomer(register(customer_id))
        await one.commands.PlaceOrder(place(order_id, customer_id))

        results = await asyncio.gather(
            *(
                (one if index % 2 else two).commands.ProcessPayment(pay(order_id))
                for index in range(10)
            ),
            return_exceptions=True,
        )

        codes = sorted(
            r.code().name if isinstance(r, grpc.aio.AioRpcError) else "OK" for r in results
        )
        assert codes == ["FAILED_PRECONDITION"] * 9 + ["OK"]
        assert len(await one.events(f"order-{order_id}")) == 2


async def test_the_same_command_sent_twice_at_once_is_recorded_once(eventstore_uri: str) -> None:
    customer_id = new_id("c")
    request = register(customer_id)
    async with (
        running_write_service(eventstore_uri) as one,
        running_write_service(eventstore_uri) as two,
    ):
        first, second = await asyncio.gather(
            one.commands.RegisterCustomer(request), two.commands.RegisterCustomer(request)
        )

        assert first == second
        assert len(await one.events(f"customer-{customer_id}")) == 1
