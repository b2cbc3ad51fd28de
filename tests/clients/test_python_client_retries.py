"""A command refused UNAVAILABLE (its event store down) is retried by the client library with the
same idempotency key until the store is back, and lands once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
import pytest

from eventstore_lite.testing import EventStoreProcess
from orders_client import NO_RETRY, EventStoreUnavailable, OrdersClient, RetryPolicy
from tests.clients.orders_requests import registration
from tests.write_service.harness import running_write_service

pytestmark = pytest.mark.servers


async def test_a_command_refused_unavailable_is_retried_and_lands_once(tmp_path: Path) -> None:
    store = EventStoreProcess(tmp_path / "store")
    uri = await asyncio.to_thread(store.start)
    refusals: list[grpc.StatusCode] = []
    first_refusal = asyncio.Event()

    def refused(error: grpc.aio.AioRpcError) -> None:
        refusals.append(error.code())
        first_refusal.set()

    # Generous: the store's restart and the write service's reconnection on a loaded machine.
    retry = RetryPolicy(attempts=200, max_backoff_seconds=0.5, on_retry=refused)
    try:
        async with running_write_service(uri, store_timeout=1.0) as service:
            address = f"127.0.0.1:{service.port}"
            async with OrdersClient.connect(address, address, retry=retry) as client:
                await client.commands.register_customer(registration("Before Outage"))
                await asyncio.to_thread(store.kill)

                registering = asyncio.create_task(
                    client.commands.register_customer(registration("During Outage", "c-outage"))
                )
                await first_refusal.wait()
                await asyncio.to_thread(store.start)
                registered = await registering

            assert registered.customer_id == "c-outage"
            assert refusals[0] == grpc.StatusCode.UNAVAILABLE
            assert len(await service.events("customer-c-outage")) == 1
    finally:
        await asyncio.to_thread(store.terminate)


async def test_without_retries_the_outage_is_raised_as_event_store_unavailable(
    tmp_path: Path,
) -> None:
    store = EventStoreProcess(tmp_path / "store")
    uri = await asyncio.to_thread(store.start)
    try:
        async with running_write_service(uri, store_timeout=1.0) as service:
            address = f"127.0.0.1:{service.port}"
            async with OrdersClient.connect(address, address, retry=NO_RETRY) as client:
                await asyncio.to_thread(store.kill)
                with pytest.raises(EventStoreUnavailable) as caught:
                    await client.commands.register_customer(registration())
            assert caught.value.code == grpc.StatusCode.UNAVAILABLE
            assert caught.value.reason_name == "EVENT_STORE_UNAVAILABLE"
    finally:
        await asyncio.to_thread(store.terminate)
