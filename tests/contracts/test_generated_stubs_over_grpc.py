"""The generated stubs and servicers talk over a real grpc.aio channel, errors included."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from orders.v1 import command_service_pb2, command_service_pb2_grpc, errors_pb2, types_pb2

DOMAIN = "orders.v1"


class _OneOrderCommands(command_service_pb2_grpc.CommandServiceServicer):
    """Answers PlaceOrder as the contract describes it; no business rules."""

    async def PlaceOrder(  # noqa: N802 (the RPC's name)
        self,
        request: command_service_pb2.PlaceOrderRequest,
        context: grpc.aio.ServicerContext[
            command_service_pb2.PlaceOrderRequest, command_service_pb2.PlaceOrderResponse
        ],
    ) -> command_service_pb2.PlaceOrderResponse:
        if request.customer_id != "c-1":
            info = error_details_pb2.ErrorInfo(
                reason=errors_pb2.ErrorReason.Name(errors_pb2.CUSTOMER_NOT_FOUND),
                domain=DOMAIN,
                metadata={"customer_id": request.customer_id},
            )
            detail = any_pb2.Any()
            detail.Pack(info)
            status = status_pb2.Status(
                code=grpc.StatusCode.NOT_FOUND.value[0],
                message="no such customer",
                details=[detail],
            )
            await context.abort_with_status(rpc_status.to_status(status))
        line = request.lines[0]
        return command_service_pb2.PlaceOrderResponse(
            order_id=request.order_id,
            status=types_pb2.ORDER_STATUS_PLACED,
            total=types_pb2.Money(
                currency_code=line.unit_price.currency_code,
                amount_minor=line.quantity * line.unit_price.amount_minor,
            ),
        )


@pytest.fixture
async def stub() -> AsyncIterator[command_service_pb2_grpc.CommandServiceAsyncStub]:
    server = grpc.aio.server()
    # The other RPCs keep the generated base's UNIMPLEMENTED answer, which the stubs call abstract.
    servicer = _OneOrderCommands()  # type: ignore[abstract]
    command_service_pb2_grpc.add_CommandServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield command_service_pb2_grpc.CommandServiceStub(channel)
    await server.stop(grace=None)


def _place(customer_id: str) -> command_service_pb2.PlaceOrderRequest:
    return command_service_pb2.PlaceOrderRequest(
        idempotency_key="k-1",
        order_id="o-1",
        customer_id=customer_id,
        lines=[
            types_pb2.OrderLine(
                sku="SKU-1",
                quantity=3,
                unit_price=types_pb2.Money(currency_code="EUR", amount_minor=250),
            )
        ],
    )


async def test_a_generated_stub_calls_a_generated_servicer(
    stub: command_service_pb2_grpc.CommandServiceAsyncStub,
) -> None:
    response = await stub.PlaceOrder(_place("c-1"))
    assert response.order_id == "o-1"
    assert response.status == types_pb2.ORDER_STATUS_PLACED
    assert (response.total.currency_code, response.total.amount_minor) == ("EUR", 750)


async def test_an_error_reason_travels_as_error_info_in_the_status_details(
    stub: command_service_pb2_grpc.CommandServiceAsyncStub,
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.PlaceOrder(_place("c-404"))
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    status = rpc_status.from_call(raised.value)
    assert status is not None
    info = error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(info)
    assert (info.reason, info.domain) == ("CUSTOMER_NOT_FOUND", DOMAIN)
    assert errors_pb2.ErrorReason.Value(info.reason) == errors_pb2.CUSTOMER_NOT_FOUND
    assert dict(info.metadata) == {"customer_id": "c-404"}
