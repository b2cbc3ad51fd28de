"""The servers under fuzzing, each started by the existing harness and seeded with data, so that
requests naming stored ids reach past validation into the stores."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import grpc
import psutil
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc
from kurrentdbclient import AsyncKurrentDBClient, NewEvent, StreamState
from pymongo import AsyncMongoClient

from eventstore_lite.testing import EventStoreProcess
from orders.v1 import query_service_pb2 as query
from tests.fuzz.message_strategies import MessageStrategies
from tests.fuzz.raw_rpc import RawClient
from tests.read_service.order_history import History, random_lifecycles
from tests.read_service.read_harness import ReadService, running_read_service, settings_for
from tests.write_service import rpc_calls
from tests.write_service.harness import WriteService, running_write_service

Doc = dict[str, Any]
CURRENCIES = ("EUR", "USD", "eur", "XXX", "JPY")


async def serving(channel: grpc.aio.Channel) -> bool:
    reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


@dataclass(repr=False)
class CommandTarget:
    """Shown by name in a failing example: its fields would drown the request."""

    service: WriteService
    raw: RawClient
    messages: MessageStrategies
    # $all's head after the last command: nothing but the fuzzed commands, one at a time,
    # appends to this store, so it is also the head before the next one.
    last_head: int = 0

    async def head(self) -> int:
        """The commit position of the newest record in $all, system records included."""
        self.last_head = await self.service.store.get_commit_position(filter_exclude=())
        return self.last_head


async def _seed_commands(service: WriteService) -> list[str]:
    """A customer and an order in every status; their ids and keys are worth guessing."""
    stub = service.commands
    customer = rpc_calls.new_id("c")
    key = rpc_calls.new_id("key")
    await stub.RegisterCustomer(rpc_calls.register(customer, key))
    known = [customer, key, "card", "DHL", *CURRENCIES]
    pay = ("ProcessPayment", rpc_calls.pay)
    ship = ("ShipOrder", rpc_calls.ship)
    paths: list[list[tuple[str, Callable[[str], Message]]]] = [
        [],
        [pay],
        [pay, ship],
        [pay, ship, ("DeliverOrder", rpc_calls.deliver)],
        [("CancelOrder", rpc_calls.cancel)],
    ]
    for path in paths:
        order = rpc_calls.new_id("o")
        await stub.PlaceOrder(rpc_calls.place(order, customer))
        for rpc, request in path:
            await getattr(stub, rpc)(request(order))
        known.append(order)
    return known


@asynccontextmanager
async def command_target(eventstore_uri: str) -> AsyncIterator[CommandTarget]:
    async with running_write_service(eventstore_uri) as service:
        known = await _seed_commands(service)
        raw = RawClient(f"127.0.0.1:{service.port}")
        target = CommandTarget(service, raw, MessageStrategies(known))
        await target.head()
        try:
            yield target
        finally:
            await raw.close()


@dataclass(repr=False)
class QueryTarget:
    service: ReadService
    raw: RawClient
    messages: MessageStrategies


async def _page_tokens(service: ReadService, customer: str) -> list[str]:
    mine = await service.stub.ListCustomerOrders(
        query.ListCustomerOrdersRequest(customer_id=customer, page_size=1)
    )
    every = await service.stub.ListOrders(query.ListOrdersRequest(page_size=1))
    return [mine.next_page_token, every.next_page_token]


@asynccontextmanager
async def query_target(mongo_uri: str) -> AsyncIterator[QueryTarget]:
    client: AsyncMongoClient[Doc] = AsyncMongoClient(mongo_uri, serverSelectionTimeoutMS=2000)
    projector: AsyncMongoClient[Doc] = AsyncMongoClient(mongo_uri, tz_aware=True)
    database = f"fuzz_{uuid.uuid4().hex[:12]}"
    # A token that is not reached answers at once: the fuzzer sends many of them.
    settings = replace(settings_for(database), consistency_max_wait_seconds=0.01)
    try:
        async with running_read_service(client, projector, settings) as service:
            customers = [f"c-{n}" for n in range(4)]
            history: History = service.history
            for customer in customers:
                history.register(customer, f"Customer {customer}")
            random_lifecycles(history, customers, orders=40, seed=11)
            await service.project_pending()
            orders = [stream.removeprefix("order-") for stream in history.streams]
            known = [*customers, *orders, *CURRENCIES, *await _page_tokens(service, customers[0])]
            raw = RawClient(f"127.0.0.1:{service.port}")
            try:
                yield QueryTarget(service, raw, MessageStrategies(known))
            finally:
                await raw.close()
    finally:
        await client.drop_database(database)
        await client.close()
        await projector.close()


@dataclass(repr=False)
class EventStoreTarget:
    process: EventStoreProcess
    raw: RawClient
    client: AsyncKurrentDBClient
    messages: MessageStrategies

    def alive(self) -> bool:
        pid = self.process.pid
        if pid is None or not psutil.pid_exists(pid):
            return False
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE


async def _seed_eventstore(client: AsyncKurrentDBClient) -> list[str]:
    stream = f"order-{uuid.uuid4().hex[:8]}"
    events = [NewEvent(type="OrderPlaced", data=b"{}") for _ in range(3)]
    await client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=events)
    await client.create_subscription_to_stream("fuzz-group", stream)
    await client.create_subscription_to_all("fuzz-all")
    return [stream, "fuzz-group", "fuzz-all", "$all", "$$" + stream, "RoundRobin", "Pinned"]


@asynccontextmanager
async def own_eventstore(data_dir: Path) -> AsyncIterator[EventStoreProcess]:
    process = EventStoreProcess(data_dir)
    await asyncio.to_thread(process.start)
    try:
        yield process
    finally:
        await asyncio.to_thread(process.terminate)


@asynccontextmanager
async def eventstore_target(process: EventStoreProcess) -> AsyncIterator[EventStoreTarget]:
    client = AsyncKurrentDBClient(process.uri)
    raw = RawClient(f"127.0.0.1:{process.port}")
    try:
        await client.connect()
        known = await _seed_eventstore(client)
        messages = MessageStrategies(known, [name.encode() for name in known])
        yield EventStoreTarget(process, raw, client, messages)
    finally:
        await raw.close()
        await client.close()
