"""Pausing stops the group taking events while commands go on; resuming catches up; each read
model's health follows."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from orders.v1 import admin_pb2 as pb
from projector.subscription_group import GroupSettings
from tests.admin.order_events import place
from tests.admin.running_replica import AdminReplica, admin_replica, wait_until_consuming
from tests.projector.health_probe import NOT_SERVING, SERVING
from tests.projector.projector_harness import connect
from tests.waiting import read_until, wait_until

GROUP = GroupSettings(name="admin-pause", max_retry_count=3, message_timeout=5.0)
ORDER_SUMMARIES = "orders.v1.ReadModel/order_summaries"


async def health_of(port: int, service: str) -> int:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        answer = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        return int(answer.status)


async def wait_for_health(replica: AdminReplica, service: str, status: int) -> None:
    async def reached() -> bool:
        return await health_of(replica.port, service) == status

    await wait_until(reached, f"{service or 'the server'} to answer {status}")


async def test_pausing_holds_the_position_while_commands_go_on_and_resuming_catches_up(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    async with (
        connect(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stores,
        admin_replica(stores, GROUP) as replica,
    ):
        summaries = stores.db["order_summaries_v1"]
        for n in range(3):
            await place(stores.eventstore, f"before{n}")

        async def projected(count: int) -> bool:
            return await summaries.count_documents({}) == count

        await wait_until(lambda: projected(3), "the first orders")
        await wait_until_consuming(replica)
        await wait_for_health(replica, ORDER_SUMMARIES, SERVING)

        paused = await replica.admin.PauseProjection(pb.PauseProjectionRequest(reason="upgrade"))

        async def every_replica_paused() -> bool:
            pause = (await replica.status()).pause
            return pause.paused and pause.paused_replicas == [replica.replica.board.replica]

        # The replica reports itself paused once its consumer has closed the subscription.
        await wait_until(every_replica_paused, "the replica to stop taking events")
        await wait_for_health(replica, ORDER_SUMMARIES, NOT_SERVING)
        held = await replica.status()
        for n in range(4):
            await place(stores.eventstore, f"during{n}")

        async def lag_seen() -> bool:
            return (await replica.status()).read_models[0].lag_events == 4

        await wait_until(lag_seen, "the new events counted as lag")
        while_paused = await replica.status()
        during_projected = await summaries.count_documents({"_id": {"$regex": "^during"}})
        server_health = await health_of(replica.port, "")

        resumed = await replica.admin.ResumeProjection(pb.ResumeProjectionRequest())
        await wait_until(lambda: projected(7), "the orders placed while paused")
        await wait_until_consuming(replica)
        await wait_for_health(replica, ORDER_SUMMARIES, SERVING)
        # The position is recorded on an interval, after the documents: read the status until it
        # shows the catch-up (a read that never does fails here, naming what it last saw).
        caught_up = await read_until(
            replica.status,
            lambda status: (
                status.read_models[0].commit_position > while_paused.read_models[0].commit_position
                and status.read_models[0].lag_events == 0
            ),
            "the recorded position past the one held while paused, with no lag",
        )

    assert paused.pause.paused
    assert paused.pause.reason == "upgrade"
    summary = while_paused.read_models[0]
    assert summary.name == "order_summaries"
    assert summary.state == pb.READ_MODEL_STATE_PAUSED
    assert summary.commit_position == held.read_models[0].commit_position
    assert summary.head_commit_position > summary.commit_position
    assert during_projected == 0
    assert [r.state for r in while_paused.replicas] == ["paused"]
    # The process itself is healthy while paused: only the read models say NOT_SERVING.
    assert server_health == SERVING
    assert not resumed.pause.paused
    assert caught_up.read_models[0].commit_position > summary.commit_position
    assert caught_up.read_models[0].lag_events == 0


async def test_pausing_through_one_replica_pauses_the_whole_group_and_any_replica_resumes_it(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    async with (
        connect(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stores,
        admin_replica(stores, GROUP, name="replica-a") as first,
        admin_replica(stores, GROUP, name="replica-b") as second,
    ):
        summaries = stores.db["order_summaries_v1"]

        async def projected(count: int) -> bool:
            return await summaries.count_documents({}) == count

        await place(stores.eventstore, "before")
        await wait_until(lambda: projected(1), "the first order")
        await first.admin.PauseProjection(pb.PauseProjectionRequest(reason="group"))

        async def both_paused() -> bool:
            pause = (await second.status()).pause
            return pause.paused_replicas == ["replica-a", "replica-b"]

        await wait_until(both_paused, "both replicas to stop taking events")
        await wait_for_health(second, ORDER_SUMMARIES, NOT_SERVING)
        for n in range(3):
            await place(stores.eventstore, f"during{n}")

        async def lag_seen() -> bool:
            return (await first.status()).read_models[0].lag_events == 3

        await wait_until(lag_seen, "the new events counted as lag")
        held = await summaries.count_documents({})

        await second.admin.ResumeProjection(pb.ResumeProjectionRequest())
        await wait_until(lambda: projected(4), "the orders placed while paused")
        await wait_for_health(first, ORDER_SUMMARIES, SERVING)
        replicas = (await first.status()).replicas

    assert held == 1
    assert sorted(r.replica for r in replicas) == ["replica-a", "replica-b"]
