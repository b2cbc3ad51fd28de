"""The whole pair for end-to-end tests: the real write service, projector and read service.

Commands go through the write service's stubs into the embedded event store; the projector
consumes its persistent subscription into SecantusDB; queries go through the read service.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

import grpc
from kurrentdbclient import AsyncKurrentDBClient
from pymongo import AsyncMongoClient

from orders.v1 import command_service_pb2 as cmd
from orders.v1 import command_service_pb2_grpc, consistency_pb2, types_pb2
from orders_contracts.codec import decode_event, decode_metadata
from orders_contracts.events import Event
from projector.batch_writer import BatchWriter
from projector.consumer import BatchSettings, Consumer
from projector.event_source import read_revisions
from projector.subscription_group import GroupSettings
from projector.versions import ensure_collections, ensure_pointer, read_pointer
from tests.read_service.read_harness import ReadService, running_read_service, settings_for
from write_service.server import build_server as build_write_server
from write_service.settings import Settings as WriteSettings

Doc = dict[str, Any]


@dataclass
class Stack:
    commands: command_service_pb2_grpc.CommandServiceAsyncStub
    reads: ReadService
    eventstore: AsyncKurrentDBClient
    # For clients that open their own channels (tests/clients).
    write_port: int = 0

    async def events(self, stream: str) -> list[Event]:
        """The stream's events as stored, decoded by the shared codec (the test's own truth)."""
        recorded = await self.eventstore.get_stream(stream)
        return [
            decode_event(r.type, r.data, decode_metadata(r.metadata).schema_version)
            for r in recorded
        ]


def key() -> str:
    return uuid.uuid4().hex


def money(amount_minor: int, currency: str) -> types_pb2.Money:
    return types_pb2.Money(currency_code=currency, amount_minor=amount_minor)


async def register(stack: Stack, customer_id: str, name: str) -> cmd.RegisterCustomerResponse:
    return await stack.commands.RegisterCustomer(
        cmd.RegisterCustomerRequest(
            idempotency_key=key(), customer_id=customer_id, name=name, email=f"{name}@example.com"
        )
    )


async def place(
    stack: Stack, order_id: str, customer_id: str, unit_price: int = 1250, currency: str = "EUR"
) -> cmd.PlaceOrderResponse:
    return await stack.commands.PlaceOrder(
        cmd.PlaceOrderRequest(
            idempotency_key=key(),
            order_id=order_id,
            customer_id=customer_id,
            lines=[
                types_pb2.OrderLine(sku="SKU-1", quantity=2, unit_price=money(unit_price, currency))
            ],
        )
    )


def wait_for(token: consistency_pb2.ConsistencyToken) -> consistency_pb2.ReadConsistency:
    return consistency_pb2.ReadConsistency(
        min_token=token, policy=consistency_pb2.STALENESS_POLICY_WAIT
    )


@asynccontextmanager
async def running_stack(eventstore_uri: str, mongo_uri: str, database: str) -> AsyncIterator[Stack]:
    eventstore = AsyncKurrentDBClient(eventstore_uri)
    await eventstore.connect()
    write_server, write_port = await build_write_server(
        WriteSettings(port=0, health_interval=0.2, store_timeout=5.0), eventstore
    )
    await write_server.start()
    projector_mongo: AsyncMongoClient[Doc] = AsyncMongoClient(mongo_uri, tz_aware=True)
    read_mongo: AsyncMongoClient[Doc] = AsyncMongoClient(mongo_uri, serverSelectionTimeoutMS=2000)
    db = projector_mongo[database]
    await ensure_pointer(db)
    pointer = await read_pointer(db)
    assert pointer is not None
    await ensure_collections(db, pointer["version"])
    writer = BatchWriter(projector_mongo, database, partial(read_revisions, eventstore))
    consumer = Consumer(eventstore, db, writer, GroupSettings(), BatchSettings())
    consuming = asyncio.create_task(consumer.run())
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{write_port}")
    try:
        async with running_read_service(
            read_mongo,
            projector_mongo,
            # Production's recheck interval; a wait as long as the callers' deadlines, because
            # the projector's lag on a busy 2-core machine can reach seconds.
            settings_for(
                database, consistency_recheck_seconds=0.5, consistency_max_wait_seconds=30.0
            ),
        ) as reads:
            yield Stack(
                command_service_pb2_grpc.CommandServiceStub(channel), reads, eventstore, write_port
            )
    finally:
        await channel.close()
        consumer.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(consuming, 10)
        await write_server.stop(grace=1)
        await read_mongo.drop_database(database)
        await read_mongo.close()
        await projector_mongo.close()
        await eventstore.close()
