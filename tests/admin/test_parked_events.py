"""A poison event is parked durably, counted, listed with its reason, and applied by a replay
once its cause is repaired.

The poison is honest and reproducible: an order's details document loses its timeline (as a
bad manual edit or a faulty migration would leave it), so the order's next event cannot be
folded onto it. Replayed before the repair, it stays parked; after the document is restored,
the replay applies it through the normal projection path.
"""

from __future__ import annotations

import grpc
import pytest

from orders.v1 import admin_pb2 as pb
from orders.v1 import errors_pb2
from orders_contracts.streams import order_stream
from projector.event_source import read_revisions
from projector.subscription_group import GroupSettings
from tests.admin.order_events import pay, place
from tests.admin.running_replica import admin_replica
from tests.projector.projector_harness import Stores, connect
from tests.rich_errors import rich_error
from tests.waiting import wait_until

GROUP = GroupSettings(name="admin-parked", max_retry_count=1, message_timeout=2.0)


async def _project_placed_then_break_its_timeline(
    stores: Stores, order_id: str
) -> dict[str, object]:
    """The order placed and projected (by a writer of its own, so no replica caches it), then
    its details document stripped of its timeline; the intact document, to restore later.

    A document that does not decode fails every event of its order: the group's redelivery of
    the placement (a duplicate otherwise) is parked beside the payment."""
    await place(stores.eventstore, order_id)
    placed = await read_revisions(stores.eventstore, order_stream(order_id), range(0, 1))
    await stores.writer().write(placed)
    details = stores.db["order_details_v1"]
    intact = await details.find_one({"_id": order_id})
    assert intact is not None
    assert intact["timeline"]
    await details.update_one({"_id": order_id}, {"$unset": {"timeline": ""}})
    return intact


async def test_a_poison_event_is_parked_listed_and_applied_by_a_replay_once_repaired(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    async with connect(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stores:
        intact = await _project_placed_then_break_its_timeline(stores, "victim")
        await pay(stores.eventstore, "victim")
        for n in range(3):
            await place(stores.eventstore, f"good{n}")
        summaries = stores.db["order_summaries_v1"]
        async with admin_replica(stores, GROUP) as replica:

            async def parked() -> bool:
                status = await replica.status()
                # The counter is written beside the pipeline, a moment after the record.
                counted = all(m.events_parked_total == 2 for m in status.read_models)
                return status.parked_events == 2 and counted

            await wait_until(parked, "the poison event parked")
            status = await replica.status()
            listed = await replica.admin.ListParkedEvents(pb.ListParkedEventsRequest())

            before_repair = await replica.admin.ReplayParkedEvents(
                pb.ReplayParkedEventsRequest(parked_event_id="order-victim@1")
            )
            still = await replica.admin.ListParkedEvents(pb.ListParkedEventsRequest())

            await stores.db["order_details_v1"].replace_one({"_id": "victim"}, intact)
            after_repair = await replica.admin.ReplayParkedEvents(
                pb.ReplayParkedEventsRequest(all=True)
            )
            victim = await summaries.find_one({"_id": "victim"})
            remaining = await replica.admin.ListParkedEvents(pb.ListParkedEventsRequest())
            status_after = await replica.status()
            others = await summaries.count_documents({"_id": {"$regex": "^good"}})

    assert [m.parked_events for m in status.read_models] == [2] * len(status.read_models)
    assert listed.total_size == 2
    by_id = {parked.id: parked for parked in listed.parked_events}
    assert sorted(by_id) == ["order-victim@0", "order-victim@1"]
    event = by_id["order-victim@1"]
    assert (event.id, event.stream_name, event.revision) == ("order-victim@1", "order-victim", 1)
    assert event.event_type == "PaymentProcessed"
    assert "timeline" in event.reason
    assert event.retry_count >= 1

    assert (before_repair.applied_count, before_repair.still_parked_count) == (0, 1)
    assert "timeline" in before_repair.outcomes[0].reason
    assert {p.id: p.replay_attempts for p in still.parked_events} == {
        "order-victim@0": 0,
        "order-victim@1": 1,
    }

    assert (after_repair.applied_count, after_repair.still_parked_count) == (2, 0)
    assert victim is not None
    assert (victim["status"], victim["revision"]) == ("PAID", 1)
    assert remaining.total_size == 0
    assert not remaining.parked_events
    assert status_after.parked_events == 0
    assert others == 3


async def test_replaying_an_event_that_is_not_parked_is_refused_with_its_reason(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    async with (
        connect(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stores,
        admin_replica(stores, GROUP) as replica,
    ):
        with pytest.raises(grpc.aio.AioRpcError) as unknown:
            await replica.admin.ReplayParkedEvents(
                pb.ReplayParkedEventsRequest(parked_event_id="order-nobody@3")
            )
        with pytest.raises(grpc.aio.AioRpcError) as malformed:
            await replica.admin.ReplayParkedEvents(
                pb.ReplayParkedEventsRequest(parked_event_id="no revision")
            )

    refused = rich_error(unknown.value)
    assert refused.code == grpc.StatusCode.NOT_FOUND
    assert refused.reason == errors_pb2.ErrorReason.Name(errors_pb2.PARKED_EVENT_NOT_FOUND)
    assert refused.metadata == {"parked_event_id": "order-nobody@3"}
    invalid = rich_error(malformed.value)
    assert invalid.code == grpc.StatusCode.INVALID_ARGUMENT
    assert list(invalid.violations) == ["parked_event_id"]
