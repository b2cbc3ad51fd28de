"""A watch stream read in the background, and what a test checks of the messages it got."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import grpc

from orders.v1 import query_service_pb2
from tests.waiting import read_until, wait_until

SNAPSHOT = query_service_pb2.WATCH_MESSAGE_KIND_SNAPSHOT
CHANGE = query_service_pb2.WATCH_MESSAGE_KIND_CHANGE
RESYNC = query_service_pb2.WATCH_MESSAGE_KIND_RESYNC
CAUGHT_UP = query_service_pb2.WATCH_MESSAGE_KIND_CAUGHT_UP

Message = query_service_pb2.WatchOrderResponse | query_service_pb2.WatchCustomerOrdersResponse


class Call(Protocol):
    def __aiter__(self) -> AsyncIterator[Any]: ...

    def cancel(self) -> bool: ...


@dataclass
class Received:
    call: Call
    messages: list[Message] = field(default_factory=list)
    error: grpc.aio.AioRpcError | None = None
    ended: bool = False

    async def stop(self) -> None:
        """Cancel the call, as a client that goes away does, and wait until it ended."""
        self.call.cancel()

        async def ended() -> bool:
            return self.ended

        await wait_until(ended, "the cancelled stream ended")

    def about(self, order_id: str) -> list[Message]:
        return [m for m in self.messages if m.kind != CAUGHT_UP and m.order.order_id == order_id]

    def last_revision(self, order_id: str) -> int | None:
        mine = self.about(order_id)
        return mine[-1].token.revision if mine else None

    async def reach(
        self, revisions: dict[str, int], what: str, *, resuming: Received | None = None
    ) -> None:
        """Wait until the stream shows each order at its revision. ``resuming``: the stream this
        one resumed from, whose last revision of an order counts until this one sends one (a
        resume does not repeat what its tokens say was seen)."""

        def last(order_id: str) -> int | None:
            revision = self.last_revision(order_id)
            if revision is None and resuming is not None:
                return resuming.last_revision(order_id)
            return revision

        async def behind() -> dict[str, tuple[int | None, int]]:
            if self.error is not None:
                raise AssertionError(f"the stream failed: {self.error}")
            left = {
                order_id: (last(order_id), revision)
                for order_id, revision in revisions.items()
                if last(order_id) != revision
            }
            if left and self.ended:
                raise AssertionError(f"the stream ended without an error, behind on {left}")
            return left

        # A failure names the orders still behind, (last revision seen, revision wanted): which
        # ones tells a missed change from a stream that stopped.
        await read_until(behind, lambda left: not left, what)


@asynccontextmanager
async def reading(call: Call) -> AsyncIterator[Received]:
    """Read ``call`` into a Received until the block ends (then the call is cancelled)."""
    received = Received(call)

    async def pump() -> None:
        try:
            async for message in call:
                received.messages.append(message)
        except grpc.aio.AioRpcError as error:
            received.error = error
        finally:
            received.ended = True

    task = asyncio.create_task(pump())
    try:
        yield received
    finally:
        call.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def gaps(messages: Iterable[Message], start: dict[str, int] | None = None) -> list[str]:
    """Every break of the stream's promise: per order, each message follows the previous one
    (previous_revision), revisions only grow, and only RESYNC may fold changes together."""
    last: dict[str, int] = dict(start or {})
    found = []
    for message in messages:
        if message.kind == CAUGHT_UP:
            continue
        order_id, revision = message.order.order_id, message.token.revision
        previous = message.previous_revision if message.HasField("previous_revision") else None
        if message.kind == SNAPSHOT:
            if order_id in last:
                found.append(f"{order_id}: a second snapshot at {revision}")
        elif previous != last.get(order_id):
            found.append(f"{order_id}: {revision} follows {previous}, not {last.get(order_id)}")
        if revision <= last.get(order_id, -1):
            found.append(f"{order_id}: {revision} after {last[order_id]}")
        last[order_id] = revision
    return found


def kinds(messages: Iterable[Message], order_id: str | None = None) -> list[int]:
    def keep(m: Message) -> bool:
        return order_id is None or m.order.order_id == order_id

    return [m.kind for m in messages if keep(m)]
