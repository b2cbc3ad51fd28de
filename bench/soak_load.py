"""What the soak sends: order lifecycles paced at a fixed rate, queries that read those orders
back with their consistency tokens, and a probe that times how long a write takes to show in
the read models."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import grpc

from bench.order_lifecycles import Lifecycles
from orders.v1 import command_service_pb2 as cmd
from orders.v1 import command_service_pb2_grpc, consistency_pb2, query_service_pb2_grpc
from orders.v1 import query_service_pb2 as query

Continuation = Callable[[grpc.aio.ClientCallDetails, Any], Awaitable[Any]]


class CallRecorder(grpc.aio.UnaryUnaryClientInterceptor):
    """Counts every failed call by method and status (the soak must end with none), and keeps
    the consistency tokens of the latest orders written, for the queries to wait on."""

    def __init__(self) -> None:
        self.failed: Counter[str] = Counter()
        self.written: deque[tuple[str, consistency_pb2.ConsistencyToken]] = deque(maxlen=500)

    async def intercept_unary_unary(
        self, continuation: Continuation, details: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        call = await continuation(details, request)
        try:
            response = await call
        except grpc.aio.AioRpcError as error:
            method = str(details.method).rsplit("/", 1)[-1].rstrip("'")
            self.failed[f"{method} {error.code().name}"] += 1
            raise
        token = getattr(response, "consistency_token", None)
        if token is not None and token.stream.startswith("order-"):
            self.written.append((token.stream.removeprefix("order-"), token))
        return response


async def paced(call: Callable[[], Coroutine[Any, Any, None]], rate: float, seconds: float) -> None:
    """Calls started on a fixed schedule, however long each takes (an open loop), keeping only
    the calls in flight, so a long soak does not pile up finished ones."""
    in_flight: set[asyncio.Task[None]] = set()
    start = time.perf_counter()
    index = 0
    while (scheduled := start + index / rate) < start + seconds:
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(call())
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
        index += 1
    await asyncio.gather(*in_flight)


@dataclass
class Traffic:
    commands: command_service_pb2_grpc.CommandServiceAsyncStub
    queries: query_service_pb2_grpc.QueryServiceAsyncStub
    lifecycles: Lifecycles
    recorder: CallRecorder
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    command_count: int = 0
    query_count: int = 0

    async def command(self) -> None:
        await self.lifecycles.step()
        self.command_count += 1

    async def query(self) -> None:
        """A written order read back with its token (summary or details), or a customer's
        orders listed without one (from the read service's cache when it can)."""
        self.query_count += 1
        if not self.recorder.written:
            return
        order_id, token = self.rng.choice(self.recorder.written)
        wait = consistency_pb2.ReadConsistency(
            min_token=token, policy=consistency_pb2.STALENESS_POLICY_WAIT
        )
        pick = self.rng.random()
        # A failure is counted by the channel's recorder; the load goes on.
        try:
            if pick < 0.4:
                await self.queries.GetOrderSummary(
                    query.GetOrderSummaryRequest(order_id=order_id, consistency=wait)
                )
            elif pick < 0.7:
                await self.queries.GetOrderDetails(
                    query.GetOrderDetailsRequest(order_id=order_id, consistency=wait)
                )
            else:
                customer_id = self.rng.choice(self.lifecycles.customers)
                await self.queries.ListCustomerOrders(
                    query.ListCustomerOrdersRequest(customer_id=customer_id, page_size=10)
                )
        except grpc.aio.AioRpcError:
            pass

    async def pair(self) -> None:
        await self.command()
        await self.query()

    async def reads_reflect_the_latest_order(self, call_seconds: float = 30.0) -> bool:
        """Whether the order written last (highest commit position) reads back at its token."""
        if not self.recorder.written:
            return True
        order_id, token = max(self.recorder.written, key=lambda w: w[1].commit_position)
        wait = consistency_pb2.ReadConsistency(
            min_token=token, policy=consistency_pb2.STALENESS_POLICY_WAIT
        )
        try:
            await self.queries.GetOrderSummary(
                query.GetOrderSummaryRequest(order_id=order_id, consistency=wait),
                timeout=call_seconds,
            )
        except grpc.aio.AioRpcError:
            return False
        return True

    async def read_after_write_seconds(self, call_seconds: float = 60.0) -> float | None:
        """Register a customer, then wait for it in the read models; None if that failed."""
        customer_id = f"probe-{uuid.uuid4().hex[:10]}"
        try:
            written = await self.commands.RegisterCustomer(
                cmd.RegisterCustomerRequest(
                    idempotency_key=customer_id,
                    customer_id=customer_id,
                    name="Soak Probe",
                    email=f"{customer_id}@example.com",
                ),
                timeout=call_seconds,
            )
            acknowledged = time.perf_counter()
            wait = consistency_pb2.ReadConsistency(
                min_token=written.consistency_token, policy=consistency_pb2.STALENESS_POLICY_WAIT
            )
            await self.queries.GetCustomer(
                query.GetCustomerRequest(customer_id=customer_id, consistency=wait),
                timeout=call_seconds,
            )
        except grpc.aio.AioRpcError:
            return None
        return time.perf_counter() - acknowledged
