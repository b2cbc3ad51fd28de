"""A watcher sees every change of 200 orders, in order, while the projector is killed and
started again: every part its own process, launched as `orders dev` launches it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path

import grpc
import pytest

from orders.v1 import command_service_pb2 as cmd
from orders.v1 import command_service_pb2_grpc, query_service_pb2, query_service_pb2_grpc, types_pb2
from tests.faults.fault_stack import PROJECTOR, SECOND_PROJECTOR, FaultStack, plan_fault_stack
from tests.read_service.full_stack import key, money
from tests.waiting import wait_until
from tests.watch.lifecycle import step
from tests.watch.streams import CAUGHT_UP, CHANGE, RESYNC, SNAPSHOT, Received, gaps, reading

pytestmark = pytest.mark.servers

CUSTOMERS = 4
ORDERS = 200
LANES = 8


async def test_watchers_see_every_change_of_200_orders_in_order_across_a_projector_restart(
    tmp_path: Path,
) -> None:
    planned = plan_fault_stack(tmp_path, {})
    stack = FaultStack(
        planned.settings, {k: s for k, s in planned.specs.items() if k != SECOND_PROJECTOR}
    )
    await asyncio.to_thread(stack.start_all)
    try:
        async with AsyncExitStack() as exits:
            write = await exits.enter_async_context(grpc.aio.insecure_channel(stack.write_address))
            read = await exits.enter_async_context(grpc.aio.insecure_channel(stack.read_address))
            commands = command_service_pb2_grpc.CommandServiceStub(write)
            queries = query_service_pb2_grpc.QueryServiceStub(read)
            customers = [f"c-{n}" for n in range(CUSTOMERS)]
            for customer in customers:
                await commands.RegisterCustomer(
                    cmd.RegisterCustomerRequest(
                        idempotency_key=key(), customer_id=customer, name="N", email="n@x.org"
                    ),
                    timeout=30,
                )
            watchers: list[Received] = []
            for customer in customers:
                call = queries.WatchCustomerOrders(
                    query_service_pb2.WatchCustomerOrdersRequest(customer_id=customer)
                )
                watchers.append(await exits.enter_async_context(reading(call)))
            # One more watcher of customer 0, which stops half-way and resumes from its tokens.
            interrupted = await exits.enter_async_context(
                reading(
                    queries.WatchCustomerOrders(
                        query_service_pb2.WatchCustomerOrdersRequest(customer_id=customers[0])
                    )
                )
            )
            await _all_caught_up([*watchers, interrupted])

            orders = [f"o-{n:03d}" for n in range(ORDERS)]
            final: dict[str, int] = {}

            async def place(index: int, order_id: str) -> None:
                placed = await commands.PlaceOrder(
                    cmd.PlaceOrderRequest(
                        idempotency_key=key(),
                        order_id=order_id,
                        customer_id=customers[index % CUSTOMERS],
                        lines=[
                            types_pb2.OrderLine(
                                sku="SKU-1", quantity=2, unit_price=money(1250, "EUR")
                            )
                        ],
                    ),
                    timeout=30,
                )
                final[order_id] = placed.consistency_token.revision

            async def advance(number: int, _: int, order_id: str) -> None:
                final[order_id] = (await step(commands, order_id, number)).revision

            await _in_lanes(place, orders)
            await _in_lanes(lambda i, o: advance(1, i, o), orders)
            # The projector dies mid-way, possibly mid-batch, and comes back.
            await asyncio.to_thread(stack.kill, PROJECTOR)
            await _in_lanes(lambda i, o: advance(2, i, o), orders[: ORDERS // 2])
            await interrupted.stop()
            tokens = {
                m.order.order_id: m.token for m in interrupted.messages if m.kind != CAUGHT_UP
            }
            resumed = await exits.enter_async_context(
                reading(
                    queries.WatchCustomerOrders(
                        query_service_pb2.WatchCustomerOrdersRequest(
                            customer_id=customers[0], resume_tokens=tokens.values()
                        )
                    )
                )
            )
            await asyncio.to_thread(stack.start, PROJECTOR)
            await _in_lanes(lambda i, o: advance(3, i, o), orders[: ORDERS // 4])

            for number, watcher in enumerate(watchers):
                mine = {o: r for o, r in final.items() if _owner(o) == number}
                await watcher.reach(mine, f"customer {number}'s orders at their last revision")
                if number == 0:
                    # An order whose last change the interrupted stream had already seen (the
                    # projector got there before it died) is not sent again after the resume.
                    await resumed.reach(
                        mine,
                        "the resumed watcher's orders at the last revision",
                        resuming=interrupted,
                    )
    finally:
        await asyncio.to_thread(stack.stop_all)
    for watcher in watchers:
        assert watcher.messages[0].kind == CAUGHT_UP  # nobody had orders yet
        assert gaps(watcher.messages) == []
        kinds = {m.kind for m in watcher.messages}
        # The read service never lost its change feed: every change came one by one.
        assert RESYNC not in kinds
        assert SNAPSHOT not in kinds
        assert len(watcher.messages) > ORDERS // CUSTOMERS
    # Before and after the resume, one stream's worth: nothing missed, nothing repeated.
    assert gaps([*interrupted.messages, *resumed.messages]) == []
    # An order the interrupted stream had not yet seen (the projector died before it got there)
    # has no token: the resume sends it once as a SNAPSHOT, as documented. Every order with a
    # token goes on with CHANGEs only.
    snapshots = [m.order.order_id for m in resumed.messages if m.kind == SNAPSHOT]
    assert [m.kind for m in resumed.messages if m.kind not in (CHANGE, SNAPSHOT)] == [CAUGHT_UP]
    assert not set(snapshots) & set(tokens)
    assert len(snapshots) == len(set(snapshots))


def _owner(order_id: str) -> int:
    return int(order_id.removeprefix("o-")) % CUSTOMERS


async def _in_lanes(work: Callable[[int, str], Awaitable[None]], orders: list[str]) -> None:
    async def lane(start: int) -> None:
        for index in range(start, len(orders), LANES):
            await work(index, orders[index])

    await asyncio.gather(*(lane(n) for n in range(LANES)))


async def _all_caught_up(watchers: list[Received]) -> None:
    async def caught_up() -> bool:
        return all(any(m.kind == CAUGHT_UP for m in w.messages) for w in watchers)

    await wait_until(caught_up, "every watcher caught up")
