"""CommandService calls with an idempotency key by default and retries on UNAVAILABLE."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeVar

import grpc
from google.protobuf.message import Message

from orders.v1 import command_service_pb2 as cmd
from orders.v1 import command_service_pb2_grpc, consistency_pb2
from orders_client.retrying import RetryPolicy, call

Metadata = Sequence[tuple[str, str]]


class _Tokened(Protocol):
    @property
    def consistency_token(self) -> consistency_pb2.ConsistencyToken: ...


RequestT = TypeVar("RequestT", bound=Message)
ResponseT = TypeVar("ResponseT", bound=_Tokened)
TokenObserver = Callable[[consistency_pb2.ConsistencyToken], None]


def new_idempotency_key() -> str:
    return str(uuid.uuid4())


class Commands:
    """Each method takes the request message; an empty idempotency_key gets a fresh UUID, sent
    on every retry of that call. Set the key yourself to make retries across calls (or
    processes) safe too. The request you pass is never changed."""

    def __init__(
        self,
        channel: grpc.aio.Channel,
        *,
        retry: RetryPolicy,
        metadata: Metadata = (),
        timeout_seconds: float | None = 30.0,
        observe: TokenObserver | None = None,
    ) -> None:
        self._stub: command_service_pb2_grpc.CommandServiceAsyncStub = (
            command_service_pb2_grpc.CommandServiceStub(channel)
        )
        self._retry = retry
        self._metadata = tuple(metadata)
        self._timeout = timeout_seconds
        self._observe = observe

    def observed_by(self, observe: TokenObserver) -> Commands:
        """The same commands, also telling observe each response's consistency token."""
        twin = Commands.__new__(Commands)
        twin.__dict__.update(self.__dict__)
        twin._observe = observe
        return twin

    async def register_customer(
        self, request: cmd.RegisterCustomerRequest
    ) -> cmd.RegisterCustomerResponse:
        return await self._send(self._stub.RegisterCustomer, request)

    async def place_order(self, request: cmd.PlaceOrderRequest) -> cmd.PlaceOrderResponse:
        return await self._send(self._stub.PlaceOrder, request)

    async def process_payment(
        self, request: cmd.ProcessPaymentRequest
    ) -> cmd.ProcessPaymentResponse:
        return await self._send(self._stub.ProcessPayment, request)

    async def ship_order(self, request: cmd.ShipOrderRequest) -> cmd.ShipOrderResponse:
        return await self._send(self._stub.ShipOrder, request)

    async def deliver_order(self, request: cmd.DeliverOrderRequest) -> cmd.DeliverOrderResponse:
        return await self._send(self._stub.DeliverOrder, request)

    async def cancel_order(self, request: cmd.CancelOrderRequest) -> cmd.CancelOrderResponse:
        return await self._send(self._stub.CancelOrder, request)

    async def _send(self, rpc: Callable[..., Awaitable[ResponseT]], request: RequestT) -> ResponseT:
        if not _key_of(request):
            keyed = type(request)()
            keyed.CopyFrom(request)
            keyed.idempotency_key = new_idempotency_key()  # type: ignore[attr-defined]
            request = keyed
        response = await call(
            lambda: rpc(request, timeout=self._timeout, metadata=self._metadata), self._retry
        )
        if self._observe is not None:
            self._observe(response.consistency_token)
        return response


def _key_of(request: Message) -> str:
    key: str = request.idempotency_key  # type: ignore[attr-defined]
    return key
