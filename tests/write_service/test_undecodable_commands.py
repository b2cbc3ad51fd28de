"""Request bytes that do not decode are a bad request on every RPC, never UNKNOWN."""

from __future__ import annotations

import grpc
import pytest

from orders.v1 import command_service_pb2
from tests.undecodable_bytes import answers_to_undecodable_bodies, raw_method
from tests.write_service.harness import WriteService

SERVICE = command_service_pb2.DESCRIPTOR.services_by_name["CommandService"]


async def test_every_command_refuses_undecodable_bytes_as_an_invalid_request(
    write_service: WriteService,
) -> None:
    answers = await answers_to_undecodable_bodies(write_service.channel, SERVICE)
    assert len(answers) == 3 * len(SERVICE.methods)
    expected = (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_REQUEST", "orders.v1")
    assert {key: answer for key, answer in answers.items() if answer != expected} == {}


async def test_nothing_is_written_for_an_undecodable_command(write_service: WriteService) -> None:
    order_id = "undecodable-order"
    # A PlaceOrder with a valid order id followed by a corrupt field.
    body = command_service_pb2.PlaceOrderRequest(order_id=order_id).SerializeToString()
    call = raw_method(write_service.channel, "/orders.v1.CommandService/PlaceOrder")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call(body + b"\xff\xff", timeout=10)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert await write_service.events(f"order-{order_id}") == ()
