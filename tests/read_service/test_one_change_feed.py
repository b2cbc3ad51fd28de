"""One change stream per read service: the answer cache, the waiting reads and the progress copy
all hear of the projector's writes through it."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from pymongo import AsyncMongoClient

from orders.v1 import query_service_pb2 as pb
from orders.v1 import types_pb2
from tests.read_service.order_history import START
from tests.read_service.read_harness import (
    feed_following,
    running_read_service,
    settings_for,
)
from tests.read_service.test_read_your_writes import WAIT, consistency, project_later
from tests.waiting import read_until

Doc = dict[str, object]


async def test_one_change_feed_wakes_waiting_reads_drops_cached_answers_and_renews_progress(
    mongo_client: AsyncMongoClient[Doc], projector_client: AsyncMongoClient[Doc], mongo_db_name: str
) -> None:
    # Progress kept for an hour: only the feed can have it read again within this test.
    settings = replace(settings_for(mongo_db_name), progress_max_age_seconds=3600.0)
    async with running_read_service(mongo_client, projector_client, settings) as service:
        await feed_following(service)
        service.history.place("o-1", "c-1", START)
        await service.project_pending()
        request = pb.GetOrderSummaryRequest(order_id="o-1")
        await service.stub.GetOrderSummary(request)
        hits = service.server.cache.counters.hits
        cached = await service.stub.GetOrderSummary(request)
        assert service.server.cache.counters.hits == hits + 1
        paid = service.history.pay("o-1", 2500, "EUR", START + timedelta(hours=1))

        projection = asyncio.create_task(project_later(service))
        waited = await service.stub.GetOrderSummary(
            pb.GetOrderSummaryRequest(order_id="o-1", consistency=consistency(paid, WAIT)),
            timeout=20,
        )
        await projection
        # The summary's change precedes the progress record in the stream; a token-less read
        # shows both once the feed has applied them.
        await read_until(
            lambda: service.stub.GetOrderSummary(request),
            lambda answer: (
                answer.order.status == types_pb2.ORDER_STATUS_PAID
                and answer.read_metadata.projected_commit_position == paid.commit_position
            ),
            "the paid order and its progress in a token-less read",
        )

        assert cached.order.status == types_pb2.ORDER_STATUS_PLACED
        assert waited.order.status == types_pb2.ORDER_STATUS_PAID
        assert not waited.read_metadata.stale
        assert service.server.watcher.polls_started == 0
        assert service.server.cache.counters.invalidations >= 1


async def test_without_change_streams_waiting_reads_poll_and_nothing_is_cached(
    mongo_client: AsyncMongoClient[Doc], projector_client: AsyncMongoClient[Doc], mongo_db_name: str
) -> None:
    settings = replace(settings_for(mongo_db_name), use_change_stream=False)
    async with running_read_service(mongo_client, projector_client, settings) as service:
        service.history.place("o-1", "c-1", START)
        await service.project_pending()
        paid = service.history.pay("o-1", 2500, "EUR", START + timedelta(hours=1))

        projection = asyncio.create_task(project_later(service))
        waited = await service.stub.GetOrderSummary(
            pb.GetOrderSummaryRequest(order_id="o-1", consistency=consistency(paid, WAIT)),
            timeout=20,
        )
        await projection

        assert waited.order.status == types_pb2.ORDER_STATUS_PAID
        assert not service.server.feed.following
        assert service.server.watcher.polls_started >= 1
        assert not service.server.cache.serving
