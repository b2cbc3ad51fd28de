"""The interceptor chain on CommandService: correlation ids in and out, and store calls bounded
by the caller's deadline."""

from __future__ import annotations

import asyncio
import os
import re
import signal
from pathlib import Path

import grpc
import pytest

from eventstore_lite.testing import EventStoreProcess
from orders_contracts.codec import decode_metadata
from tests.write_service.harness import WriteService, running_write_service
from tests.write_service.rpc_calls import failure, new_id, pay, register


async def _registered_with(
    service: WriteService, metadata: tuple[tuple[str, str], ...]
) -> tuple[str, str]:
    """The correlation id the call answered with, and the one stored with its event."""
    customer_id = new_id("c")
    call = service.commands.RegisterCustomer(register(customer_id), metadata=metadata)
    await call
    answered = dict(await call.trailing_metadata() or ())["x-correlation-id"]
    (event,) = await service.events(f"customer-{customer_id}")
    return str(answered), decode_metadata(event.metadata).correlation_id


async def test_the_callers_correlation_id_comes_back_and_is_stored_with_the_events(
    write_service: WriteService,
) -> None:
    sent = (("x-correlation-id", "corr-command-7"),)
    assert await _registered_with(write_service, sent) == ("corr-command-7", "corr-command-7")


async def test_an_unusable_correlation_id_is_replaced_and_the_replacement_is_the_one_stored(
    write_service: WriteService,
) -> None:
    for unusable in ("two words", "x" * 129):
        answered, stored = await _registered_with(write_service, (("x-correlation-id", unusable),))
        assert answered == stored
        assert re.fullmatch("[0-9a-f]{32}", answered), "a new id: 32 random hex digits"


async def test_a_refused_command_answers_with_its_correlation_id_and_the_orders_id(
    write_service: WriteService,
) -> None:
    order_id = new_id("o")
    call = write_service.commands.ProcessPayment(
        pay(order_id), metadata=(("x-correlation-id", "corr-refused-pay"),)
    )
    refused = await failure(call)

    assert (refused.code, refused.reason) == (grpc.StatusCode.NOT_FOUND, "ORDER_NOT_FOUND")
    assert refused.metadata == {"order_id": order_id}
    assert dict(await call.trailing_metadata() or ())["x-correlation-id"] == "corr-refused-pay"


@pytest.mark.servers
async def test_a_command_whose_store_hangs_is_answered_unavailable_within_the_callers_deadline(
    tmp_path: Path,
) -> None:
    store = EventStoreProcess(tmp_path / "store")
    uri = await asyncio.to_thread(store.start)
    assert store.pid is not None
    try:
        # A store timeout far beyond the caller's deadline: only the deadline can end the call
        # in time, and only the service's own answer carries a reason.
        async with running_write_service(uri, store_timeout=120.0) as service:
            await service.commands.RegisterCustomer(register(new_id("c")))
            os.kill(store.pid, signal.SIGSTOP)
            try:
                call = service.commands.RegisterCustomer(register(new_id("c")), timeout=3)
                with_deadline = await failure(call)
            finally:
                os.kill(store.pid, signal.SIGCONT)
    finally:
        await asyncio.to_thread(store.terminate)

    assert with_deadline.code == grpc.StatusCode.UNAVAILABLE
    assert with_deadline.reason == "EVENT_STORE_UNAVAILABLE"
