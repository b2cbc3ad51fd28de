"""MongoDB gone: the projector says so on its health service, acknowledges and parks nothing,
and projects everything once MongoDB is back."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from kurrentdbclient import StreamState
from kurrentdbclient.exceptions import NotFoundError
from pymongo import AsyncMongoClient

from orders_contracts.streams import order_stream
from projector.subscription_group import GroupSettings
from tests.mongo_process import MongoProcess
from tests.projector.health_probe import NOT_SERVING, SERVING, health_of
from tests.projector.projector_harness import connect, running_replica, status
from tests.projector.test_event_faults import placed
from tests.waiting import wait_until

ORDERS = 30


@pytest.mark.timeout(240)
async def test_while_mongodb_is_down_nothing_is_acked_or_parked_and_all_is_projected_after(
    tmp_path: Path, fresh_eventstore_uri: str, mongo_db_name: str
) -> None:
    mongo_process = MongoProcess(tmp_path / "mongo")
    mongo_process.start()
    # Fail fast while the server is gone, as an operator would configure a projector.
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongo_process.uri, tz_aware=True, serverSelectionTimeoutMS=1000
    )
    group = GroupSettings(name="outage", max_retry_count=2, message_timeout=120.0)
    try:
        async with (
            connect(fresh_eventstore_uri, mongo_process.uri, mongo_db_name) as stores,
            running_replica(stores, group, mongo=mongo) as replica,
        ):
            port = replica.health_port

            async def health_is(expected: int) -> bool:
                return await health_of(port) == expected

            await wait_until(lambda: health_is(SERVING), "SERVING once subscribed")
            mongo_process.kill()
            for n in range(ORDERS):
                await stores.eventstore.append_to_stream(
                    order_stream(f"o{n}"), current_version=StreamState.ANY, events=[placed(f"o{n}")]
                )
            await wait_until(lambda: health_is(NOT_SERVING), "NOT_SERVING while MongoDB is down")

            async def all_in_flight() -> bool:
                info = await stores.eventstore.get_subscription_info(group.name)
                return info.total_in_flight_messages == ORDERS

            await wait_until(all_in_flight, "every event delivered and none acknowledged")
            during = await stores.eventstore.get_subscription_info(group.name)
            state_during = replica.consumer.board.report

            mongo_process.start()
            summaries = stores.db["order_summaries_v1"]

            async def all_projected() -> bool:
                return await summaries.count_documents({}) == ORDERS

            await wait_until(all_projected, "every order projected after the outage")
            await wait_until(lambda: health_is(SERVING), "SERVING again")

            async def all_acked() -> bool:
                info = await stores.eventstore.get_subscription_info(group.name)
                return info.total_in_flight_messages == 0

            await wait_until(all_acked, "every event acknowledged")
            after = await stores.eventstore.get_subscription_info(group.name)

            async def recorded() -> bool:
                progress = await status(stores.db)
                states = [r["state"] for r in progress.get("replicas", {}).values()]
                return states == ["running"] and progress["events_applied"] == ORDERS

            await wait_until(recorded, "the replica's state and counts in the status documents")
            progress = await status(stores.db)
    finally:
        await mongo.close()
        mongo_process.stop()

    assert state_during.state == "retrying"
    assert state_during.reason
    assert during.parked_message_count == 0
    assert after.parked_message_count == 0
    assert progress["events_parked"] == 0


@pytest.mark.timeout(240)
async def test_a_long_outage_lets_the_subscription_go_until_mongodb_is_back_and_parks_nothing(
    tmp_path: Path, fresh_eventstore_uri: str, mongo_db_name: str
) -> None:
    mongo_process = MongoProcess(tmp_path / "mongo")
    mongo_process.start()
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongo_process.uri, tz_aware=True, serverSelectionTimeoutMS=500
    )
    # Events held past the message timeout would be redelivered and counted as retries, parked
    # after two: the projector must let them go well before.
    group = GroupSettings(name="long-outage", max_retry_count=2, message_timeout=4.0)
    try:
        async with (
            connect(fresh_eventstore_uri, mongo_process.uri, mongo_db_name) as stores,
            running_replica(stores, group, mongo=mongo) as replica,
        ):

            async def subscribed(expected: bool) -> bool:
                try:
                    info = await stores.eventstore.get_subscription_info(group.name)
                except NotFoundError:  # the replica has not created its group yet
                    return not expected
                return bool(info.connections) == expected

            await wait_until(lambda: subscribed(True), "the subscription")
            mongo_process.kill()
            for n in range(ORDERS):
                await stores.eventstore.append_to_stream(
                    order_stream(f"o{n}"), current_version=StreamState.ANY, events=[placed(f"o{n}")]
                )
            await wait_until(lambda: subscribed(False), "the subscription let go")
            state_during = replica.consumer.board.report
            # Longer than the message timeout times the retries: nothing may time out meanwhile.
            for _ in range(3):
                await wait_until(lambda: subscribed(False), "no subscription while down")
                await asyncio.sleep(group.message_timeout)
            mongo_process.start()

            async def all_projected() -> bool:
                return await stores.db["order_summaries_v1"].count_documents({}) == ORDERS

            await wait_until(all_projected, "every order projected after the outage")
            info = await stores.eventstore.get_subscription_info(group.name)
    finally:
        await mongo.close()
        mongo_process.stop()

    assert state_during.state == "retrying"
    assert info.parked_message_count == 0
