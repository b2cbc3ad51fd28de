"""The entry point: channels to both services, their calls, and sessions over them."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType

import grpc

from orders.v1 import consistency_pb2
from orders_client.commands import Commands
from orders_client.queries import Queries
from orders_client.retrying import RetryPolicy
from orders_client.session import Session


class OrdersClient:
    """`async with OrdersClient.connect("host:50051", "host:50052") as client:` then
    `client.commands`, `client.queries`, or `client.session()` for read-your-writes.

    With root_certificates the channels speak TLS trusting them; with bearer_token each call
    carries "authorization: Bearer <token>"."""

    def __init__(
        self,
        write_channel: grpc.aio.Channel,
        read_channel: grpc.aio.Channel,
        *,
        retry: RetryPolicy | None = None,
        bearer_token: str | None = None,
        timeout_seconds: float | None = 30.0,
    ) -> None:
        self._channels = (write_channel, read_channel)
        metadata = (("authorization", f"Bearer {bearer_token}"),) if bearer_token else ()
        policy = retry or RetryPolicy()
        self.commands = Commands(
            write_channel, retry=policy, metadata=metadata, timeout_seconds=timeout_seconds
        )
        self.queries = Queries(
            read_channel, retry=policy, metadata=metadata, timeout_seconds=timeout_seconds
        )

    @classmethod
    def connect(
        cls,
        write_address: str,
        read_address: str,
        *,
        root_certificates: bytes | None = None,
        bearer_token: str | None = None,
        retry: RetryPolicy | None = None,
        timeout_seconds: float | None = 30.0,
        channel_options: Sequence[tuple[str, str | int]] = (),
    ) -> OrdersClient:
        def channel(address: str) -> grpc.aio.Channel:
            if root_certificates is None:
                return grpc.aio.insecure_channel(address, options=channel_options)
            credentials = grpc.ssl_channel_credentials(root_certificates=root_certificates)
            return grpc.aio.secure_channel(address, credentials, options=channel_options)

        return cls(
            channel(write_address),
            channel(read_address),
            retry=retry,
            bearer_token=bearer_token,
            timeout_seconds=timeout_seconds,
        )

    def session(self, *, wait: bool = True) -> Session:
        """A session; with wait=False its queries answer at once, flagged stale if behind."""
        policy = (
            consistency_pb2.STALENESS_POLICY_WAIT
            if wait
            else consistency_pb2.STALENESS_POLICY_ALLOW_STALE
        )
        return Session(self.commands, self.queries, policy=policy)

    async def close(self) -> None:
        for channel in self._channels:
            await channel.close()

    async def __aenter__(self) -> OrdersClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
