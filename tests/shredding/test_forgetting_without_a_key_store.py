"""A write service without a key store stores personal data as before sealing, and refuses to
pretend it can forget."""

from __future__ import annotations

import uuid

import grpc
import pytest

from orders.v1 import command_service_pb2
from tests.rich_errors import rich_error
from tests.write_service.harness import running_write_service


async def test_without_a_key_store_forgetting_is_refused_as_a_failed_precondition(
    eventstore_uri: str,
) -> None:
    customer_id = f"c-{uuid.uuid4().hex[:12]}"
    async with running_write_service(eventstore_uri) as service:
        await service.commands.RegisterCustomer(
            command_service_pb2.RegisterCustomerRequest(
                customer_id=customer_id, name="Grace Hopper", email="grace@example.org"
            ),
            timeout=30,
        )
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await service.commands.ForgetCustomer(
                command_service_pb2.ForgetCustomerRequest(customer_id=customer_id), timeout=30
            )
        [registered] = await service.events(f"customer-{customer_id}")
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "KEY_STORE_PATH" in rich_error(refused.value).message
    # Stored as it always was without a key store: in clear text, nothing forgotten.
    assert b"Grace Hopper" in registered.data
