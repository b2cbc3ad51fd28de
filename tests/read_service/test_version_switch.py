"""A rebuild's switch of the active read-model version is followed without a restart."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from pymongo import AsyncMongoClient

from orders.v1 import query_service_pb2 as pb
from orders.v1 import types_pb2
from projector.batch_writer import BatchWriter
from projector.envelope import Envelope
from projector.rebuild import switch_to
from tests.read_service.order_history import START
from tests.read_service.read_harness import running_read_service, settings_for
from tests.waiting import read_until


async def test_queries_follow_the_pointer_to_a_rebuilt_version_without_a_restart(
    mongo_client: AsyncMongoClient[dict[str, Any]],
    projector_client: AsyncMongoClient[dict[str, Any]],
    mongo_db_name: str,
) -> None:
    settings = replace(settings_for(mongo_db_name), read_model_pointer_ttl_seconds=0.2)
    async with running_read_service(mongo_client, projector_client, settings) as service:
        history = service.history
        history.place("o-1", "c-1", START)
        await service.project_pending()
        history.pay("o-1", 2500, "EUR", START + timedelta(hours=1))
        everything = history.streams["order-o-1"]

        async def no_gaps(stream: str, revisions: range) -> list[Envelope]:
            return []

        # Version 2 is "rebuilt" from the whole history while version 1 keeps serving.
        await BatchWriter(projector_client, mongo_db_name, no_gaps, version=2).write(everything)
        request = pb.GetOrderSummaryRequest(order_id="o-1")
        before = await service.stub.GetOrderSummary(request)
        await switch_to(projector_client[mongo_db_name], 2, previous=1)
        after = await read_until(
            lambda: service.stub.GetOrderSummary(request),
            lambda answer: answer.order.status != types_pb2.ORDER_STATUS_PLACED,
            "an answer from the new version",
        )

        assert before.order.status == types_pb2.ORDER_STATUS_PLACED
        assert after.order.status == types_pb2.ORDER_STATUS_PAID
    await mongo_client.drop_database(mongo_db_name)
