"""The gRPC edge of the write side: request -> command -> handler -> response.

Each RPC is one line naming its two translations; ``_run`` does the rest for all of them:
idempotency key, validation, the command's ids for the error table. Correlation id, logging,
the caller's deadline and every failure's status are the interceptor chain's
(``orders_runtime.interceptors``, with this service's table in ``rpc_errors``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Final, Protocol, TypeVar

import grpc
from google.protobuf.message import Message

from orders.v1 import command_service_pb2 as pb
from orders.v1 import command_service_pb2_grpc as pb_grpc
from orders_runtime.correlation import current_correlation_id
from write_service import messages
from write_service.command_handler import CommandHandler, Outcome
from write_service.contract_gate import ContractGate
from write_service.domain.commands import Command
from write_service.rpc_errors import InvalidRequestError, name_in_errors
from write_service.validation import FieldViolation, idempotency_key

IDEMPOTENCY_HEADER: Final = "idempotency-key"


class _KeyedRequest(Protocol):
    @property
    def idempotency_key(self) -> str: ...


RequestT = TypeVar("RequestT", bound=_KeyedRequest)
CommandT = TypeVar("CommandT", bound=Command)
ResponseT = TypeVar("ResponseT", bound=Message)


class CommandApi(pb_grpc.CommandServiceServicer):
    def __init__(self, handler: CommandHandler, clock: Callable[[], datetime]) -> None:
        self._handler = handler
        self._clock = clock
        self._gate = ContractGate()

    async def RegisterCustomer(  # noqa: N802 (gRPC method names)
        self, request: pb.RegisterCustomerRequest, context: grpc.aio.ServicerContext[None, None]
    ) -> pb.RegisterCustomerResponse:
        return await self._run(
            request, context, messages.register_customer, messages.customer_registered
        )

    async def PlaceOrder(  # noqa: N802 (gRPC method names)
        self, request: pb.PlaceOrderRequest, context: grpc.aio.ServicerContext[None, None]
    ) -> pb.PlaceOrderResponse:
        return await self._run(request, context, messages.place_order, messages.order_placed)

    async def ProcessPayment(  # noqa: N802 (gRPC method names)
        self, request: pb.ProcessPaymentRequest, context: grpc.aio.ServicerContext[None, None]
    ) -> pb.ProcessPaymentResponse:
        return await self._run(
            request, context, messages.process_payment, messages.payment_processed
        )

    async def ShipOrder(  # noqa: N802 (gRPC method names)
        self, request: pb.ShipOrderRequest, context: grpc.aio.ServicerContext[None, None]
    ) -> pb.ShipOrderResponse:
        return await self._run(request, context, messages.ship_order, messages.order_shipped)

    async def DeliverOrder(  # noqa: N802 (gRPC method names)
        self, request: pb.DeliverOrderRequest, context: grpc.aio.ServicerContext[None, None]
    ) -> pb.DeliverOrderResponse:
        return await self._run(request, context, messages.deliver_order, messages.order_delivered)

    async def CancelOrder(  # noqa: N802 (gRPC method names)
        self, request: pb.CancelOrderRequest, context: grpc.aio.ServicerContext[None, None]
    ) -> pb.CancelOrderResponse:
        return await self._run(request, context, messages.cancel_order, messages.order_cancelled)

    async def ForgetCustomer(  # noqa: N802 (gRPC method names)
        self, request: pb.ForgetCustomerRequest, context: grpc.aio.ServicerContext[None, None]
    ) -> pb.ForgetCustomerResponse:
        return await self._run(
            request, context, messages.forget_customer, messages.customer_forgotten
        )

    async def _run(
        self,
        request: RequestT,
        context: grpc.aio.ServicerContext[None, None],
        to_command: Callable[[RequestT, str, datetime], CommandT],
        to_response: Callable[[CommandT, Outcome], ResponseT],
    ) -> ResponseT:
        key = idempotency_key(request.idempotency_key, _header(context, IDEMPOTENCY_HEADER))
        assert isinstance(request, Message)
        problems = self._gate.violations(request)
        if isinstance(key, FieldViolation):
            problems = [key, *[p for p in problems if p.field != key.field]]
            key = ""
        command = to_command(request, key, self._clock())
        name_in_errors(command)
        if problems:
            raise InvalidRequestError(problems)
        outcome = await self._handler.handle(command, key, current_correlation_id())
        return to_response(command, outcome)


def _header(context: grpc.aio.ServicerContext[None, None], name: str) -> str | None:
    for key, value in context.invocation_metadata() or ():
        if key == name and isinstance(value, str):
            return value
    return None
