"""WRITE_SERVICE_APPEND_MODE picks the appender; the service behaves the same with either."""

from __future__ import annotations

import asyncio
from typing import get_args

import grpc
import pytest

from orders_runtime.settings import SettingsError, settings_from
from tests.write_service.harness import running_write_service
from tests.write_service.rpc_calls import new_id, pay, place, register
from write_service.event_appender import AppendMode
from write_service.settings import Settings


def test_batch_is_the_default_and_either_mode_is_read_in_any_case() -> None:
    assert settings_from(Settings, {}).append_mode == "batch"
    assert settings_from(Settings, {"WRITE_SERVICE_APPEND_MODE": "Plain"}).append_mode == "plain"


def test_an_unknown_append_mode_is_refused_by_name() -> None:
    with pytest.raises(SettingsError) as refused:
        settings_from(Settings, {"WRITE_SERVICE_APPEND_MODE": "fast"})
    assert "WRITE_SERVICE_APPEND_MODE" in str(refused.value)
    assert "batch, plain" in str(refused.value)


@pytest.mark.parametrize("mode", get_args(AppendMode))
async def test_a_command_answers_the_commit_position_its_events_are_stored_at(
    eventstore_uri: str, mode: AppendMode
) -> None:
    customer_id, order_id = new_id("c"), new_id("o")
    async with running_write_service(eventstore_uri, append_mode=mode) as service:
        await service.commands.RegisterCustomer(register(customer_id))
        placed = await service.commands.PlaceOrder(place(order_id, customer_id))
        stored = await service.events(f"order-{order_id}")
    assert [event.type for event in stored] == ["OrderPlaced"]
    assert placed.consistency_token.commit_position == stored[0].commit_position
    assert placed.consistency_token.revision == 0


async def test_services_in_both_modes_racing_on_one_order_let_exactly_one_payment_win(
    eventstore_uri: str,
) -> None:
    customer_id, order_id = new_id("c"), new_id("o")
    async with (
        running_write_service(eventstore_uri, append_mode="batch") as batch,
        running_write_service(eventstore_uri, append_mode="plain") as plain,
    ):
        await batch.commands.RegisterCustomer(register(customer_id))
        await plain.commands.PlaceOrder(place(order_id, customer_id))
        results = await asyncio.gather(
            *(
                (batch if index % 2 else plain).commands.ProcessPayment(pay(order_id))
                for index in range(12)
            ),
            return_exceptions=True,
        )
        stored = await batch.events(f"order-{order_id}")
    codes = sorted(r.code().name if isinstance(r, grpc.aio.AioRpcError) else "OK" for r in results)
    assert codes == ["FAILED_PRECONDITION"] * 11 + ["OK"]
    assert [event.type for event in stored] == ["OrderPlaced", "PaymentProcessed"]
