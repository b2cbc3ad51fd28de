"""Calling any method of any gRPC service with request bodies as bytes, whatever its shape.

Structured requests are serialized by the fuzzer itself and random bytes are sent as they are,
through the channel's multi-callables with identity serializers, so both go down one path.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import grpc
from google.protobuf.descriptor import Descriptor, ServiceDescriptor

# Long enough for any honest answer on a loaded machine: a call that takes longer is hung.
CALL_TIMEOUT_SECONDS: Final = 30.0
# A server stream that stays quiet this long is a live subscription waiting for new events.
STREAM_IDLE_SECONDS: Final = 0.2
MAX_STREAMED_RESPONSES: Final = 20


@dataclass(frozen=True)
class Rpc:
    service: str
    method: str
    request: Descriptor
    client_streaming: bool
    server_streaming: bool

    def __repr__(self) -> str:
        return self.name

    @property
    def path(self) -> str:
        return f"/{self.service}/{self.method}"

    @property
    def name(self) -> str:
        return f"{self.service.rsplit('.', 1)[-1]}/{self.method}"


def rpcs_of(service: ServiceDescriptor) -> list[Rpc]:
    return [
        Rpc(
            service.full_name,
            method.name,
            method.input_type,
            method.client_streaming,
            method.server_streaming,
        )
        for method in service.methods
    ]


@dataclass(frozen=True)
class Answer:
    """How a call ended. `code` is None when a server stream was still open when the fuzzer
    stopped reading (a subscription waiting for events, or more than it cares to read)."""

    code: grpc.StatusCode | None
    details: str
    trailing: tuple[tuple[str, str | bytes], ...]
    responses: tuple[bytes, ...]

    @property
    def label(self) -> str:
        return "STREAM_OPEN" if self.code is None else self.code.name

    def trailer(self, key: str) -> str | bytes | None:
        return next((value for name, value in self.trailing if name == key), None)


class RawClient:
    """Calls by method path with bodies as bytes, over two channels to one server.

    Client streams go through the blocking API in a worker thread: when a server ends such a
    call while grpc.aio is still writing to it, grpc.aio reports INTERNAL "Internal error from
    Core" instead of the server's status (about one call in four), and that must not be
    mistaken for the server's answer. The blocking API reports the server's status.
    """

    def __init__(self, address: str) -> None:
        self._aio = grpc.aio.insecure_channel(address)
        self._blocking = grpc.insecure_channel(address)

    async def close(self) -> None:
        await self._aio.close()
        self._blocking.close()

    async def send(self, rpc: Rpc, bodies: Sequence[bytes]) -> Answer:
        """One call: the first body for a unary request, all of them (then half-close) for a
        client stream."""
        if rpc.client_streaming:
            return await asyncio.to_thread(self._client_stream, rpc, bodies)
        timeout = CALL_TIMEOUT_SECONDS
        try:
            if rpc.server_streaming:
                streaming: grpc.aio.UnaryStreamMultiCallable[bytes, bytes]
                streaming = self._aio.unary_stream(rpc.path)
                return await _drain(streaming(bodies[0], timeout=timeout))
            unary: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = self._aio.unary_unary(rpc.path)
            response = await unary(bodies[0], timeout=timeout)
        except grpc.aio.AioRpcError as error:
            return _failed(error)
        return Answer(grpc.StatusCode.OK, "", (), (response,))

    def _client_stream(self, rpc: Rpc, bodies: Sequence[bytes]) -> Answer:
        timeout = CALL_TIMEOUT_SECONDS
        try:
            if not rpc.server_streaming:
                once: grpc.StreamUnaryMultiCallable[bytes, bytes]
                once = self._blocking.stream_unary(rpc.path)
                return Answer(grpc.StatusCode.OK, "", (), (once(iter(bodies), timeout=timeout),))
            both: grpc.StreamStreamMultiCallable[bytes, bytes]
            both = self._blocking.stream_stream(rpc.path)
            call = both(iter(bodies), timeout=timeout)
        except grpc.RpcError as error:
            return _failed(error)
        return _drain_blocking(call)


async def _drain(call: Any) -> Answer:
    responses: list[bytes] = []
    try:
        while len(responses) < MAX_STREAMED_RESPONSES:
            try:
                message = await asyncio.wait_for(call.read(), STREAM_IDLE_SECONDS)
            except TimeoutError:
                call.cancel()
                return Answer(None, "", (), tuple(responses))
            if message is grpc.aio.EOF:
                code = await call.code()
                details = await call.details()
                trailing = tuple(await call.trailing_metadata() or ())
                return Answer(code, details or "", trailing, tuple(responses))
            responses.append(message)
    except grpc.aio.AioRpcError as error:
        return _failed(error, responses)
    call.cancel()
    return Answer(None, "", (), tuple(responses))


def _drain_blocking(call: Any) -> Answer:
    responses: list[bytes] = []
    quiet = threading.Event()

    def cancel_when_quiet() -> threading.Timer:
        def cancel() -> None:
            quiet.set()
            call.cancel()

        timer = threading.Timer(STREAM_IDLE_SECONDS, cancel)
        timer.start()
        return timer

    timer = cancel_when_quiet()
    try:
        for message in call:
            timer.cancel()
            responses.append(message)
            if len(responses) >= MAX_STREAMED_RESPONSES:
                quiet.set()
                call.cancel()
                break
            timer = cancel_when_quiet()
    except grpc.RpcError as error:
        if not quiet.is_set():
            return _failed(error, responses)
    finally:
        timer.cancel()
    if quiet.is_set():
        return Answer(None, "", (), tuple(responses))
    return Answer(
        call.code(), call.details() or "", tuple(call.trailing_metadata() or ()), tuple(responses)
    )


def _failed(error: Any, responses: Sequence[bytes] = ()) -> Answer:
    trailing = tuple(error.trailing_metadata() or ())
    return Answer(error.code(), error.details() or "", trailing, tuple(responses))
