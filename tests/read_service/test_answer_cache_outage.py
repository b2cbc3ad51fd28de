"""A lost change stream turns the answer cache off until it is open again; nothing stale stays."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import grpc
import pytest

from orders.v1 import query_service_pb2 as pb
from orders.v1 import types_pb2
from read_service.answer_cache import AnswerCache
from tests.mongo_process import MongoProcess
from tests.read_service.order_history import START
from tests.read_service.read_harness import ReadService
from tests.waiting import read_until, wait_until


async def becomes(cache: AnswerCache[Any], serving: bool) -> None:
    async def turned() -> bool:
        return cache.serving == serving

    await wait_until(turned, f"the cache serving={serving}")


async def test_the_cache_stops_serving_when_mongodb_is_lost_and_resumes_once_it_is_back(
    own_mongo: MongoProcess, read_service_on_own_mongo: ReadService
) -> None:
    service = read_service_on_own_mongo
    cache = service.server.cache
    await becomes(cache, serving=True)
    history = service.history
    history.place("o-1", "c-1", START)
    await service.project_pending()
    request = pb.GetOrderSummaryRequest(order_id="o-1")
    await service.stub.GetOrderSummary(request)
    assert len(cache) == 1

    own_mongo.kill()
    await becomes(cache, serving=False)
    emptied = len(cache)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await service.stub.GetOrderSummary(request, timeout=5)

    own_mongo.start()
    await becomes(cache, serving=True)
    history.place("o-2", "c-1", START + timedelta(hours=1))
    await service.project_pending()
    again = pb.GetOrderSummaryRequest(order_id="o-2")
    await service.stub.GetOrderSummary(again)
    hits_before = cache.counters.hits
    cached = await service.stub.GetOrderSummary(again)
    hits_after = cache.counters.hits
    paid = history.pay("o-2", 2500, "EUR", START + timedelta(hours=2))
    await service.project_pending()
    after = await read_until(
        lambda: service.stub.GetOrderSummary(again),
        lambda answer: answer.order.status == types_pb2.ORDER_STATUS_PAID,
        "the payment in the cached summary",
    )

    assert emptied == 0
    # While the stream is down every read goes to MongoDB, which is away.
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    assert hits_after == hits_before + 1
    assert cached.order.status == types_pb2.ORDER_STATUS_PLACED
    assert after.read_metadata.projected_stream_revision == paid.revision
