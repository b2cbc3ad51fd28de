"""ReadMetadata's progress comes from one shared copy of the status, re-read once it is too old."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from pymongo import AsyncMongoClient

from orders.v1 import query_service_pb2 as pb
from tests.read_service.order_history import START
from tests.read_service.read_harness import (
    ReadService,
    feed_following,
    running_read_service,
    settings_for,
)
from tests.waiting import read_until

Doc = dict[str, Any]


async def _read_before_and_after_a_payment(
    service: ReadService, pause: float
) -> tuple[int, int, int]:
    """Positions in ReadMetadata before and after a projected payment, and the payment's own."""
    service.history.place("o-1", "c-1", START)
    await service.project_pending()
    request = pb.GetOrderSummaryRequest(order_id="o-1")
    before = await service.stub.GetOrderSummary(request)
    paid = service.history.pay("o-1", 2500, "EUR", START + timedelta(minutes=5))
    await service.project_pending()
    await asyncio.sleep(pause)
    after = await service.stub.GetOrderSummary(request)
    return (
        before.read_metadata.projected_commit_position,
        paid.commit_position,
        after.read_metadata.projected_commit_position,
    )


async def test_without_the_change_feed_progress_younger_than_the_bound_is_not_read_again(
    mongo_client: AsyncMongoClient[Doc], projector_client: AsyncMongoClient[Doc], mongo_db_name: str
) -> None:
    settings = settings_for(mongo_db_name, progress_max_age_seconds=60.0, use_change_stream=False)
    async with running_read_service(mongo_client, projector_client, settings) as service:
        before, paid, after = await _read_before_and_after_a_payment(service, pause=0)

    assert 0 < before < paid
    assert after == before


async def test_with_the_change_feed_progress_follows_the_projector_without_waiting_for_the_bound(
    mongo_client: AsyncMongoClient[Doc], projector_client: AsyncMongoClient[Doc], mongo_db_name: str
) -> None:
    settings = settings_for(mongo_db_name, progress_max_age_seconds=3600.0)
    async with running_read_service(mongo_client, projector_client, settings) as service:
        await feed_following(service)
        service.history.place("o-1", "c-1", START)
        await service.project_pending()
        request = pb.GetOrderSummaryRequest(order_id="o-1")
        before = await service.stub.GetOrderSummary(request)
        paid = service.history.pay("o-1", 2500, "EUR", START + timedelta(minutes=5))
        await service.project_pending()

        # The feed hears the progress record and has the copy read again: no hour goes by.
        after = await read_until(
            lambda: service.stub.GetOrderSummary(request),
            lambda answer: (
                answer.read_metadata.projected_commit_position
                != before.read_metadata.projected_commit_position
            ),
            "the new progress in a token-less read",
        )

    assert after.read_metadata.projected_commit_position == paid.commit_position


async def test_progress_older_than_the_bound_is_read_again(
    mongo_client: AsyncMongoClient[Doc], projector_client: AsyncMongoClient[Doc], mongo_db_name: str
) -> None:
    settings = settings_for(mongo_db_name, progress_max_age_seconds=0.05)
    async with running_read_service(mongo_client, projector_client, settings) as service:
        before, paid, after = await _read_before_and_after_a_payment(service, pause=0.1)

    assert 0 < before < paid
    assert after == paid


async def test_concurrent_queries_with_no_copy_yet_all_get_the_progress(
    read_service: ReadService,
) -> None:
    read_service.history.place("o-1", "c-1", START)
    placed = read_service.history.pay("o-1", 2500, "EUR", START + timedelta(minutes=5))
    await read_service.project_pending()
    request = pb.GetOrderSummaryRequest(order_id="o-1")

    responses = await asyncio.gather(
        *(read_service.stub.GetOrderSummary(request) for _ in range(8))
    )

    assert {r.read_metadata.projected_commit_position for r in responses} == {
        placed.commit_position
    }
