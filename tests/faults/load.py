"""A mixed load of well-behaved callers: customers registered, orders taken through their
lifecycle (placed, paid, shipped, delivered, or cancelled), and queries that wait for the
consistency token of a recent write, all through channels that retry like a careful client."""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Final

import grpc

from bench.order_lifecycles import Lifecycles, register_customers
from orders.v1 import command_service_pb2 as cmd
from orders.v1 import command_service_pb2_grpc, consistency_pb2, query_service_pb2_grpc
from orders.v1 import query_service_pb2 as query
from tests.faults.ledger import Acknowledged, Ledger, RetryingRecorder

# A restarted server is reached within a fraction of a second, not after gRPC's default
# reconnect backoff (which grows to two minutes).
CHANNEL_OPTIONS: Final = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 500),
]
CALL_TIMEOUT_SECONDS: Final = 15.0


@dataclass
class Load:
    commands: command_service_pb2_grpc.CommandServiceAsyncStub
    queries: query_service_pb2_grpc.QueryServiceAsyncStub
    lifecycles: Lifecycles
    ledger: Ledger
    commands_per_second: float
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    rng: random.Random = field(default_factory=lambda: random.Random(11))

    def acknowledged_commands(self) -> int:
        return len(self.ledger.acknowledged)

    def acknowledged_at_least(self, count: int) -> Callable[[], bool]:
        return lambda: self.acknowledged_commands() >= count

    async def _commands(self, workers: int) -> None:
        pause = workers / self.commands_per_second
        while not self.stopping.is_set():
            await self.lifecycles.step()
            await asyncio.sleep(pause)

    async def _registrations(self) -> None:
        while not self.stopping.is_set():
            customer = f"c-{uuid.uuid4().hex[:10]}"
            with contextlib.suppress(grpc.aio.AioRpcError):
                await self.commands.RegisterCustomer(
                    cmd.RegisterCustomerRequest(
                        idempotency_key=f"register/{customer}",
                        customer_id=customer,
                        name=f"Customer {customer}",
                        email=f"{customer}@example.com",
                    ),
                    timeout=CALL_TIMEOUT_SECONDS,
                )
                self.lifecycles.customers.append(customer)
            await asyncio.sleep(1.0)

    async def _queries(self) -> None:
        while not self.stopping.is_set():
            recent = self.ledger.acknowledged[-50:]
            if recent:
                with contextlib.suppress(grpc.aio.AioRpcError):
                    await self._query(self.rng.choice(recent))
            await asyncio.sleep(0.05)

    async def _query(self, written: Acknowledged) -> None:
        wait = consistency_pb2.ReadConsistency(
            min_token=written.token, policy=consistency_pb2.STALENESS_POLICY_WAIT
        )
        kind, _, entity = written.stream.partition("-")
        timeout = CALL_TIMEOUT_SECONDS
        if kind == "customer":
            request = query.GetCustomerRequest(customer_id=entity, consistency=wait)
            await self.queries.GetCustomer(request, timeout=timeout)
            listing = query.ListCustomerOrdersRequest(customer_id=entity, page_size=5)
            await self.queries.ListCustomerOrders(listing, timeout=timeout)
        elif self.rng.random() < 0.5:
            summary = query.GetOrderSummaryRequest(order_id=entity, consistency=wait)
            await self.queries.GetOrderSummary(summary, timeout=timeout)
        else:
            details = query.GetOrderDetailsRequest(order_id=entity, consistency=wait)
            await self.queries.GetOrderDetails(details, timeout=timeout)

    async def run(self, command_workers: int = 6, query_workers: int = 2) -> None:
        await asyncio.gather(
            *(self._commands(command_workers) for _ in range(command_workers)),
            *(self._queries() for _ in range(query_workers)),
            self._registrations(),
        )


@asynccontextmanager
async def running_load(
    write_address: str, read_address: str, commands_per_second: float
) -> AsyncIterator[Load]:
    """The load runs until the block ends; then every caller finishes the call in hand."""
    ledger = Ledger()
    interceptors = [RetryingRecorder(ledger)]
    async with (
        grpc.aio.insecure_channel(write_address, CHANNEL_OPTIONS, interceptors=interceptors) as w,
        grpc.aio.insecure_channel(read_address, CHANNEL_OPTIONS, interceptors=interceptors) as r,
    ):
        commands = command_service_pb2_grpc.CommandServiceStub(w)
        customers = await register_customers(commands, 10)
        load = Load(
            commands,
            query_service_pb2_grpc.QueryServiceStub(r),
            Lifecycles(commands, customers),
            ledger,
            commands_per_second,
        )
        task = asyncio.create_task(load.run())
        try:
            yield load
        finally:
            load.stopping.set()
            await task
