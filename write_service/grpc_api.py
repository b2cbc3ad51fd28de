"""The gRPC edge of the write side: request -> command -> handler -> response, errors by table.

Each RPC is one line naming its two translations; ``_run`` does the rest for all of them:
correlation id, idempotency key, validation, logging and the error table.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final, NoReturn, Protocol, TypeVar

import grpc
import structlog
from google.protobuf.message import Message
from grpc_status import rpc_status

from orders.v1 import command_service_pb2 as pb
from orders.v1 import command_service_pb2_grpc as pb_grpc
from orders_runtime.undecodable_requests import UndecodableRequestError
from write_service import messages
from write_service.command_handler import CommandHandler, Outcome
from write_service.domain.commands import Command
from write_service.rpc_errors import InvalidRequestError, to_rpc_status
from write_service.validation import FieldViolation, idempotency_key, violations

CORRELATION_HEADER: Final = "x-correlation-id"
IDEMPOTENCY_HEADER: Final = "idempotency-key"
_CORRELATION_ID: Final = re.compile(r"[\x21-\x7e]{1,128}")
_CODE_NAMES: Final = {code.value[0]: code.name for code in grpc.StatusCode}


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
        self._log = structlog.get_logger("write_service.grpc_api")

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

    async def _run(
        self,
        request: RequestT,
        context: grpc.aio.ServicerContext[None, None],
        to_command: Callable[[RequestT, str, datetime], CommandT],
        to_response: Callable[[CommandT, Outcome], ResponseT],
    ) -> ResponseT:
        headers = _headers(context)
        correlation_id = headers.get(CORRELATION_HEADER, "")
        if not _CORRELATION_ID.fullmatch(correlation_id):
            correlation_id = uuid.uuid4().hex
        with structlog.contextvars.bound_contextvars(
            rpc=type(request).__name__.removesuffix("Request"), correlation_id=correlation_id
        ):
            command: Command | None = None
            try:
                key = idempotency_key(request.idempotency_key, headers.get(IDEMPOTENCY_HEADER))
                problems: list[FieldViolation] = []
                if isinstance(key, FieldViolation):
                    problems, key = [key], ""
                command = to_command(request, key, self._clock())
                problems += violations(command)
                if problems:
                    raise InvalidRequestError(problems)
                outcome = await self._handler.handle(command, key, correlation_id)
                response = to_response(command, outcome)
            except Exception as error:
                status = to_rpc_status(error, _ids(command))
                if status.code == grpc.StatusCode.INTERNAL.value[0]:
                    self._log.exception("command failed")
                elif status.code == grpc.StatusCode.DATA_LOSS.value[0]:
                    # Not a bug here, but a stream someone must repair: as loud as one.
                    self._log.error("stream unreadable", error=str(error))
                else:
                    self._log.info(
                        "command refused", code=_CODE_NAMES[status.code], error=str(error)
                    )
                await context.abort_with_status(rpc_status.to_status(status))
                raise AssertionError("abort_with_status returned") from error
            self._log.debug(
                "command handled",
                stream=outcome.stream,
                revision=outcome.revision,
                replayed=outcome.replayed,
            )
            return response


def _headers(context: grpc.aio.ServicerContext[None, None]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for key, value in context.invocation_metadata() or ():
        if isinstance(value, str):
            headers[key] = value
    return headers


def _ids(command: Command | None) -> dict[str, str]:
    ids = {}
    for name in ("order_id", "customer_id"):
        value = getattr(command, name, None)
        if isinstance(value, str):
            ids[name] = value
    return ids


async def refuse_undecodable(
    context: grpc.aio.ServicerContext[Any, Any], error: UndecodableRequestError
) -> NoReturn:
    structlog.get_logger("write_service.grpc_api").info(
        "request refused", code="INVALID_ARGUMENT", error=str(error)
    )
    await context.abort_with_status(rpc_status.to_status(to_rpc_status(error, {})))
    raise AssertionError("abort_with_status returned") from error
