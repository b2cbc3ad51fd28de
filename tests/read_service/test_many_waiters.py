"""Hundreds of reads waiting for a token at once still answer with our reason, in time."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import grpc
import pytest
from grpc_status import rpc_status

from orders.v1 import consistency_pb2
from orders.v1 import query_service_pb2 as pb
from read_service.revision_waiters import MARGIN_PER_WAITER_SECONDS, Waiter
from tests.read_service.order_history import START
from tests.read_service.read_harness import ReadService
from tests.rich_errors import rich_error

WAITERS = 500
# Short enough that giving up late would show, long enough for a loaded two-core machine.
DEADLINE_SECONDS = 3.0

# Its answers race its callers' deadlines: run it in the serial part of `make test`, never
# beside another worker's stack competing for the two cores.
pytestmark = pytest.mark.serial


async def test_five_hundred_waiting_reads_of_an_unreached_token_all_say_consistency_not_reached(
    read_service: ReadService,
) -> None:
    history = read_service.history
    history.place("o-1", "c-1", START)
    await read_service.project_pending()
    never_projected = history.pay("o-1", 2500, "EUR", START + timedelta(hours=1))
    request = pb.GetOrderSummaryRequest(
        order_id="o-1",
        consistency=consistency_pb2.ReadConsistency(
            min_token=consistency_pb2.ConsistencyToken(
                stream=never_projected.stream,
                revision=never_projected.revision,
                commit_position=never_projected.commit_position,
            ),
            policy=consistency_pb2.STALENESS_POLICY_WAIT,
        ),
    )

    async def outcome() -> tuple[str, str]:
        try:
            await read_service.stub.GetOrderSummary(request, timeout=DEADLINE_SECONDS)
        except grpc.aio.AioRpcError as error:
            if rpc_status.from_call(error) is None:
                return error.code().name, "no google.rpc.Status: the caller's own deadline"
            return error.code().name, rich_error(error).reason
        return "OK", ""

    outcomes = Counter(await asyncio.gather(*(outcome() for _ in range(WAITERS))))

    assert outcomes == {("DEADLINE_EXCEEDED", "CONSISTENCY_NOT_REACHED"): WAITERS}
    assert read_service.server.watcher.waiting == 0


def test_a_waiter_gives_up_earlier_the_more_queries_wait_with_it_but_waits_half_its_time() -> None:
    loop = asyncio.new_event_loop()
    try:
        waiter = Waiter("order_summaries", "o-1", 1, 102.0, 2.0, loop.create_future())
    finally:
        loop.close()

    crowd = int(0.5 / MARGIN_PER_WAITER_SECONDS)
    alone, crowded, crushed = (waiter.gives_up_at(n) for n in (1, crowd, 100 * crowd))

    assert alone == pytest.approx(102.0 - 0.2 - MARGIN_PER_WAITER_SECONDS)
    assert crowded == pytest.approx(102.0 - 0.2 - crowd * MARGIN_PER_WAITER_SECONDS)
    assert crushed == pytest.approx(101.0)
