"""How a watch stream ends and what a slow reader costs: a reader that stops reading gets one
RESYNC instead of an ever-growing backlog; deadlines and cancellations leave nothing behind; a
stopping read service ends its streams UNAVAILABLE."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import grpc
import pytest

from orders.v1 import query_service_pb2, query_service_pb2_grpc
from read_service.server import build_server
from tests.read_service.full_stack import place, register, running_stack, wait_for
from tests.read_service.read_harness import feed_following, running_read_service, settings_for
from tests.rich_errors import rich_error
from tests.waiting import wait_until
from tests.watch.lifecycle import step
from tests.watch.streams import CAUGHT_UP, RESYNC, gaps, reading

QUEUE_LIMIT = 2
# A small HTTP/2 window, so that the service's writes to a reader that does not read block soon.
SMALL_WINDOW = [("grpc.http2.lookahead_bytes", 1024), ("grpc.http2.bdp_probe", 0)]


async def test_a_reader_that_stops_reading_gets_one_resync_and_its_queue_stays_bounded(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    async with running_stack(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stack:
        await register(stack, "c-1", "Ada")
        first = await place(stack, "o-000", "c-1")
        reads = stack.reads
        settings = settings_for(reads.database, watch_queue_limit=QUEUE_LIMIT)
        async with running_read_service(reads.client, reads.projector_client, settings) as slow:
            await feed_following(slow)
            hub = slow.server.watches
            async with grpc.aio.insecure_channel(f"127.0.0.1:{slow.port}", SMALL_WINDOW) as ch:
                stub = query_service_pb2_grpc.QueryServiceStub(ch)
                call = stub.WatchCustomerOrders(
                    query_service_pb2.WatchCustomerOrdersRequest(
                        customer_id="c-1", consistency=wait_for(first.consistency_token)
                    )
                )
                await wait_until(_is(lambda: hub.watching == 1), "the stream subscribed")
                final: dict[str, int] = {}
                largest = 0
                for number in range(1, 80):
                    order_id = f"o-{number:03d}"
                    await place(stack, order_id, "c-1")
                    final[order_id] = (await step(stack.commands, order_id, 1)).revision
                    largest = max(largest, hub.pending)
                    if hub.overflows:
                        break
                await wait_until(_is(lambda: hub.overflows > 0), "the queue overflowing")
                async with reading(call) as received:
                    await received.reach(final, "every order's last state")
                assert largest <= QUEUE_LIMIT
        assert RESYNC in [m.kind for m in received.messages]
        assert received.messages.count(received.messages[0]) == 1
        assert gaps(received.messages) == []


def _is(check: Callable[[], bool]) -> Callable[[], Awaitable[bool]]:
    async def holds() -> bool:
        return check()

    return holds


async def test_a_deadline_or_a_cancellation_ends_the_stream_and_its_subscription(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    async with running_stack(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stack:
        await register(stack, "c-1", "Ada")
        placed = await place(stack, "o-1", "c-1")
        hub = stack.reads.server.watches
        request = query_service_pb2.WatchOrderRequest(
            order_id="o-1", consistency=wait_for(placed.consistency_token)
        )
        with pytest.raises(grpc.aio.AioRpcError) as ended:
            async for _ in stack.reads.stub.WatchOrder(request, timeout=3):
                pass
        assert ended.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        await wait_until(_is(lambda: hub.watching == 0), "the deadline's stream unsubscribed")
        async with reading(stack.reads.stub.WatchOrder(request)) as received:
            await received.reach({"o-1": 0}, "the snapshot")
            assert hub.watching == 1
        await wait_until(_is(lambda: hub.watching == 0), "the cancelled stream unsubscribed")
        assert received.messages[-1].kind == CAUGHT_UP


async def test_a_stopping_read_service_ends_its_streams_unavailable(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    async with running_stack(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stack:
        await register(stack, "c-1", "Ada")
        placed = await place(stack, "o-1", "c-1")
        server, port = build_server(settings_for(stack.reads.database), stack.reads.client)
        await server.start()
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = query_service_pb2_grpc.QueryServiceStub(channel)
            request = query_service_pb2.WatchCustomerOrdersRequest(
                customer_id="c-1", consistency=wait_for(placed.consistency_token)
            )
            async with reading(stub.WatchCustomerOrders(request)) as received:
                await received.reach({"o-1": 0}, "the snapshot")
                await asyncio.wait_for(server.stop(10), 30)
                await wait_until(_is(lambda: received.ended), "the stream ended")
        assert received.error is not None
        error = rich_error(received.error)
        assert (error.code, error.reason) == (grpc.StatusCode.UNAVAILABLE, "SERVICE_STOPPING")
