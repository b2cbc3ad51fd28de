"""WatchOrder and WatchCustomerOrders end to end: the real write service, projector and read
service over the embedded event store and SecantusDB."""

from __future__ import annotations

import grpc
import pytest

from orders.v1 import consistency_pb2, query_service_pb2, types_pb2
from tests.read_service.full_stack import place, register, running_stack, wait_for
from tests.read_service.read_harness import feed_following, running_read_service, settings_for
from tests.rich_errors import rich_error
from tests.waiting import wait_until
from tests.watch.lifecycle import step
from tests.watch.streams import CAUGHT_UP, CHANGE, RESYNC, SNAPSHOT, Message, gaps, kinds, reading


async def test_a_watch_starts_with_the_order_then_sends_each_change_in_order(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    async with running_stack(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stack:
        await feed_following(stack.reads)
        await register(stack, "c-1", "Ada")
        placed = await place(stack, "o-1", "c-1")
        call = stack.reads.stub.WatchOrder(
            query_service_pb2.WatchOrderRequest(
                order_id="o-1", consistency=wait_for(placed.consistency_token)
            )
        )
        async with reading(call) as received:
            await received.reach({"o-1": 0}, "the snapshot")
            for number in (1, 2, 3):
                token = await step(stack.commands, "o-1", number)
                await received.reach({"o-1": token.revision}, f"step {number}")
        first = received.messages[0]
        assert first.kind == SNAPSHOT
        assert first.token == consistency_pb2.ConsistencyToken(
            stream="order-o-1",
            revision=0,
            commit_position=placed.consistency_token.commit_position,
        )
        assert first.read_metadata.projected_stream_revision == 0
        assert received.messages[1].kind == CAUGHT_UP
        assert set(kinds(received.messages[2:])) == {CHANGE}
        assert gaps(received.messages) == []
        statuses = [m.order.status for m in received.messages if m.kind != CAUGHT_UP]
        assert statuses[-1] == types_pb2.ORDER_STATUS_DELIVERED


async def test_a_customer_watch_shows_its_orders_then_new_ones_and_not_other_customers(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    async with running_stack(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stack:
        await feed_following(stack.reads)
        await register(stack, "c-1", "Ada")
        await register(stack, "c-2", "Bob")
        first = await place(stack, "o-1", "c-1")
        call = stack.reads.stub.WatchCustomerOrders(
            query_service_pb2.WatchCustomerOrdersRequest(
                customer_id="c-1", consistency=wait_for(first.consistency_token)
            )
        )
        async with reading(call) as received:
            await received.reach({"o-1": 0}, "the first order")
            await place(stack, "o-2", "c-2")
            await place(stack, "o-3", "c-1")
            await received.reach({"o-3": 0}, "the new order")
            paid = await step(stack.commands, "o-3", 1)
            await received.reach({"o-3": paid.revision}, "the new order paid")
        assert kinds(received.messages) == [SNAPSHOT, CAUGHT_UP, CHANGE, CHANGE]
        assert received.about("o-2") == []
        new = received.about("o-3")[0]
        assert not new.HasField("previous_revision")
        assert gaps(received.messages) == []


async def test_a_stream_resumed_from_a_token_neither_misses_nor_repeats_a_change(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    async with running_stack(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stack:
        await feed_following(stack.reads)
        await register(stack, "c-1", "Ada")
        placed = await place(stack, "o-1", "c-1")
        request = query_service_pb2.WatchOrderRequest(
            order_id="o-1", consistency=wait_for(placed.consistency_token)
        )
        async with reading(stack.reads.stub.WatchOrder(request)) as before:
            await before.reach({"o-1": 0}, "the snapshot")
            paid = await step(stack.commands, "o-1", 1)
            await before.reach({"o-1": paid.revision}, "the payment")
        last = before.messages[-1].token
        # Changes made while nobody watched, then the stream resumed from its last token.
        shipped = await step(stack.commands, "o-1", 2)
        delivered = await step(stack.commands, "o-1", 3)
        resumed = query_service_pb2.WatchOrderRequest(
            order_id="o-1", resume_token=last, consistency=wait_for(delivered)
        )
        async with reading(stack.reads.stub.WatchOrder(resumed)) as after:
            await after.reach({"o-1": delivered.revision}, "the delivery")
        # The same service heard both changes: it replays them one by one.
        assert kinds(after.messages) == [CHANGE, CHANGE, CAUGHT_UP]
        assert [m.token.revision for m in after.about("o-1")] == [
            shipped.revision,
            delivered.revision,
        ]
        assert gaps(after.messages, {"o-1": last.revision}) == []

        # A replica that keeps no history cannot replay them: one RESYNC brings the state.
        reads = stack.reads
        async with running_read_service(
            reads.client, reads.projector_client, settings_for(reads.database, watch_history_size=0)
        ) as other:
            await feed_following(other)
            async with reading(other.stub.WatchOrder(resumed)) as elsewhere:
                await elsewhere.reach({"o-1": delivered.revision}, "the delivery elsewhere")
                again = query_service_pb2.WatchOrderRequest(
                    order_id="o-1", resume_token=elsewhere.messages[0].token
                )
                async with reading(other.stub.WatchOrder(again)) as up_to_date:
                    await _caught_up(up_to_date.messages)
        assert kinds(elsewhere.messages) == [RESYNC, CAUGHT_UP]
        assert elsewhere.messages[0].previous_revision == last.revision
        assert gaps(elsewhere.messages, {"o-1": last.revision}) == []
        # Resumed from the latest state, nothing is repeated: only the caught-up mark comes.
        assert kinds(up_to_date.messages) == [CAUGHT_UP]


async def _caught_up(messages: list[Message]) -> None:
    async def seen() -> bool:
        return any(m.kind == CAUGHT_UP for m in messages)

    await wait_until(seen, "the caught-up mark")


async def test_watching_an_unknown_order_is_not_found_and_a_bad_request_names_its_fields(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    async with running_stack(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stack:
        with pytest.raises(grpc.aio.AioRpcError) as missing:
            async for _ in stack.reads.stub.WatchOrder(
                query_service_pb2.WatchOrderRequest(order_id="nope"), timeout=30
            ):
                pass
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND
        assert rich_error(missing.value).reason == "ORDER_NOT_FOUND"
        bad = query_service_pb2.WatchOrderRequest(
            order_id="o 1",
            resume_token=consistency_pb2.ConsistencyToken(stream="customer-1", revision=1),
        )
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            async for _ in stack.reads.stub.WatchOrder(bad, timeout=30):
                pass
        error = rich_error(refused.value)
        assert error.code == grpc.StatusCode.INVALID_ARGUMENT
        assert error.fields == ["order_id", "resume_token.stream"]
