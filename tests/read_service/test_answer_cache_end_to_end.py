"""Token-less reads served from the answer cache follow the projector's writes and switches."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import grpc
import pytest
from pymongo import AsyncMongoClient

from orders.v1 import query_service_pb2 as pb
from orders.v1 import types_pb2
from projector.batch_writer import BatchWriter
from projector.envelope import Envelope
from projector.rebuild import switch_to
from read_service.answer_cache import AnswerCache
from tests.read_service.order_history import START
from tests.read_service.read_harness import ReadService, running_read_service, settings_for
from tests.rich_errors import rich_error
from tests.waiting import read_until, wait_until


async def serving(cache: AnswerCache[Any]) -> None:
    async def on() -> bool:
        return cache.serving

    await wait_until(on, "the answer cache turned on")


async def heard(cache: AnswerCache[Any], invalidations: int) -> None:
    """Wait until the change feed has applied this many order changes: a read before that may
    begin ahead of a change it then must not keep (the cache refuses to store it)."""

    async def applied() -> bool:
        return cache.counters.invalidations >= invalidations

    await wait_until(applied, f"the change feed applying {invalidations} order changes")


async def test_a_cached_order_summary_shows_the_projectors_replacement_soon_after(
    read_service: ReadService,
) -> None:
    cache = read_service.server.cache
    await serving(cache)
    history = read_service.history
    history.place("o-1", "c-1", START)
    await read_service.project_pending()
    await heard(cache, 1)
    request = pb.GetOrderSummaryRequest(order_id="o-1")
    await read_service.stub.GetOrderSummary(request)
    hits_before = cache.counters.hits
    cached = await read_service.stub.GetOrderSummary(request)
    assert cache.counters.hits == hits_before + 1

    paid = history.pay("o-1", 2500, "EUR", START + timedelta(hours=1))
    await read_service.project_pending()
    after = await read_until(
        lambda: read_service.stub.GetOrderSummary(request),
        lambda response: response.read_metadata.projected_stream_revision == paid.revision,
        "the payment in the summary",
    )

    assert cached.order.status == types_pb2.ORDER_STATUS_PLACED
    assert cached.read_metadata.projected_stream_revision == 0
    assert not cached.read_metadata.stale
    assert cached.read_metadata.HasField("projected_at")
    assert after.order.status == types_pb2.ORDER_STATUS_PAID
    assert after.read_metadata.projected_stream_revision == paid.revision
    assert not after.read_metadata.stale
    assert cache.counters.invalidations >= 1


async def test_a_cached_customer_page_shows_a_new_order_of_that_customer_soon_after(
    read_service: ReadService,
) -> None:
    cache = read_service.server.cache
    await serving(cache)
    history = read_service.history
    history.place("o-1", "c-1", START)
    history.place("o-2", "c-2", START)
    await read_service.project_pending()
    await heard(cache, 2)
    request = pb.ListCustomerOrdersRequest(customer_id="c-1")
    other = pb.ListCustomerOrdersRequest(customer_id="c-2")
    await read_service.stub.ListCustomerOrders(request)
    await read_service.stub.ListCustomerOrders(other)
    hits_before = cache.counters.hits
    cached = await read_service.stub.ListCustomerOrders(request)
    assert cache.counters.hits == hits_before + 1

    history.place("o-3", "c-1", START + timedelta(hours=1))
    await read_service.project_pending()
    after = await read_until(
        lambda: read_service.stub.ListCustomerOrders(request),
        lambda response: len(response.orders) == 2,
        "the new order on the customer's page",
    )
    hits_before = cache.counters.hits
    untouched = await read_service.stub.ListCustomerOrders(other)

    assert [order.order_id for order in cached.orders] == ["o-1"]
    assert [order.order_id for order in after.orders] == ["o-3", "o-1"]
    # Another customer's page survives the change.
    assert cache.counters.hits == hits_before + 1
    assert [order.order_id for order in untouched.orders] == ["o-2"]


async def test_cached_reads_follow_a_switch_to_a_rebuilt_version(
    mongo_client: AsyncMongoClient[dict[str, Any]],
    projector_client: AsyncMongoClient[dict[str, Any]],
    mongo_db_name: str,
) -> None:
    settings = settings_for(mongo_db_name)
    async with running_read_service(mongo_client, projector_client, settings) as service:
        cache = service.server.cache
        await serving(cache)
        history = service.history
        history.place("o-1", "c-1", START)
        await service.project_pending()
        history.pay("o-1", 2500, "EUR", START + timedelta(hours=1))
        history.place("o-2", "c-1", START + timedelta(hours=2))
        everything = history.streams["order-o-1"] + history.streams["order-o-2"]

        async def no_gaps(stream: str, revisions: range) -> list[Envelope]:
            return []

        summary = pb.GetOrderSummaryRequest(order_id="o-1")
        listing = pb.ListCustomerOrdersRequest(customer_id="c-1")
        for _ in range(2):
            before = await service.stub.GetOrderSummary(summary)
            listed_before = await service.stub.ListCustomerOrders(listing)
        # Version 2 is "rebuilt" while version 1 serves: its writes must not reach the cache...
        await BatchWriter(projector_client, mongo_db_name, no_gaps, version=2).write(everything)
        # Time for the change stream to bring those writes, which must change nothing: an
        # absence has no condition to wait on.
        await asyncio.sleep(0.3)
        hits_before = cache.counters.hits
        still = await service.stub.GetOrderSummary(summary)
        assert cache.counters.hits == hits_before + 1
        # ...until the pointer names it.
        await switch_to(projector_client[mongo_db_name], 2, previous=1)
        after = await read_until(
            lambda: service.stub.GetOrderSummary(summary),
            lambda response: response.order.status == types_pb2.ORDER_STATUS_PAID,
            "the rebuilt version's summary",
        )
        listed_after = await service.stub.ListCustomerOrders(listing)
        await serving(cache)

        assert before.order.status == types_pb2.ORDER_STATUS_PLACED
        assert still.order.status == types_pb2.ORDER_STATUS_PLACED
        assert [order.order_id for order in listed_before.orders] == ["o-1"]
        assert after.order.status == types_pb2.ORDER_STATUS_PAID
        assert [order.order_id for order in listed_after.orders] == ["o-2", "o-1"]
        assert cache.version == 2
    await mongo_client.drop_database(mongo_db_name)


@pytest.mark.parametrize(
    "cache_off", [{"read_cache_max_entries": 0}, {"use_change_stream": False}], ids=str
)
async def test_without_the_cache_reads_answer_from_mongodb_every_time(
    mongo_client: AsyncMongoClient[dict[str, Any]],
    projector_client: AsyncMongoClient[dict[str, Any]],
    mongo_db_name: str,
    cache_off: dict[str, Any],
) -> None:
    settings = replace(settings_for(mongo_db_name), **cache_off)
    async with running_read_service(mongo_client, projector_client, settings) as service:
        history = service.history
        history.place("o-1", "c-1", START)
        await service.project_pending()
        summary = pb.GetOrderSummaryRequest(order_id="o-1")
        listing = pb.ListCustomerOrdersRequest(customer_id="c-1")
        first = await service.stub.GetOrderSummary(summary)
        await service.stub.ListCustomerOrders(listing)

        paid = history.pay("o-1", 2500, "EUR", START + timedelta(hours=1))
        history.place("o-2", "c-1", START + timedelta(hours=1))
        await service.project_pending()
        second = await service.stub.GetOrderSummary(summary)
        listed = await service.stub.ListCustomerOrders(listing)

        cache = service.server.cache
        assert not cache.serving
        assert (cache.counters.hits, cache.counters.stores) == (0, 0)
        assert first.order.status == types_pb2.ORDER_STATUS_PLACED
        assert second.order.status == types_pb2.ORDER_STATUS_PAID
        assert second.read_metadata.projected_stream_revision == paid.revision
        assert [order.order_id for order in listed.orders] == ["o-2", "o-1"]
    await mongo_client.drop_database(mongo_db_name)


async def test_bad_requests_are_refused_while_the_cache_serves(read_service: ReadService) -> None:
    await serving(read_service.server.cache)
    bad_id = pb.GetOrderSummaryRequest(order_id="not an id!")
    bad_token = pb.ListCustomerOrdersRequest(customer_id="c-1", page_token="garbage")

    with pytest.raises(grpc.aio.AioRpcError) as refused_id:
        await read_service.stub.GetOrderSummary(bad_id)
    with pytest.raises(grpc.aio.AioRpcError) as refused_token:
        await read_service.stub.ListCustomerOrders(bad_token)

    assert refused_id.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert list(rich_error(refused_id.value).violations) == ["order_id"]
    assert refused_token.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert list(rich_error(refused_token.value).violations) == ["page_token"]
