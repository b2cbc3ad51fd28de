"""End to end: commands through the real write service, documents from the real projector."""

from __future__ import annotations

import asyncio

from full_stack import Stack, place, register, running_stack, wait_for

from orders.v1 import consistency_pb2, types_pb2
from orders.v1 import query_service_pb2 as pb


async def test_an_order_placed_then_read_with_its_token_in_wait_mode_is_always_there_200_runs(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    async with running_stack(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stack:
        await register(stack, "c-1", "Ada")

        async def place_then_read(lane: int, runs: int) -> int:
            for run in range(runs):
                order_id = f"o-{lane}-{run:03d}"
                token = (await place(stack, order_id, "c-1")).consistency_token
                if run % 2:
                    details = await stack.reads.stub.GetOrderDetails(
                        pb.GetOrderDetailsRequest(order_id=order_id, consistency=wait_for(token)),
                        timeout=5,
                    )
                    found, metadata = details.order.summary, details.read_metadata
                else:
                    summary = await stack.reads.stub.GetOrderSummary(
                        pb.GetOrderSummaryRequest(order_id=order_id, consistency=wait_for(token)),
                        timeout=5,
                    )
                    found, metadata = summary.order, summary.read_metadata
                assert found.order_id == order_id
                assert found.status == types_pb2.ORDER_STATUS_PLACED
                assert not metadata.stale
                assert metadata.projected_stream_revision >= token.revision
            return runs

        # Eight callers at once, each placing and then reading its own orders one after another.
        completed = await asyncio.gather(*(place_then_read(lane, 25) for lane in range(8)))

        assert sum(completed) == 200


async def test_paging_walks_57_real_orders_while_new_ones_arrive(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    async with running_stack(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stack:
        await register(stack, "c-57", "Grace")
        tokens = [(await place(stack, f"a-{n:02d}", "c-57")).consistency_token for n in range(57)]
        await _wait_for_orders(stack, tokens)
        seen: list[pb.ListCustomerOrdersResponse] = []
        request = pb.ListCustomerOrdersRequest(customer_id="c-57", page_size=10)
        arrivals = 0
        while True:
            page = await stack.reads.stub.ListCustomerOrders(request)
            seen.append(page)
            if not page.next_page_token:
                break
            request.page_token = page.next_page_token
            for _ in range(2):
                await place(stack, f"new-{arrivals:02d}", "c-57")
                arrivals += 1

        orders = [order for page in seen for order in page.orders]
        ids = [order.order_id for order in orders]
        assert sorted(ids) == sorted(f"a-{n:02d}" for n in range(57))
        keys = [(o.created_at.ToDatetime(), o.order_id) for o in orders]
        assert keys == sorted(keys, reverse=True)
        assert len(seen) == 6


async def _wait_for_orders(stack: Stack, tokens: list[consistency_pb2.ConsistencyToken]) -> None:
    await asyncio.gather(
        *(
            stack.reads.stub.GetOrderSummary(
                pb.GetOrderSummaryRequest(
                    order_id=token.stream.removeprefix("order-"), consistency=wait_for(token)
                ),
                timeout=10,
            )
            for token in tokens
        )
    )
