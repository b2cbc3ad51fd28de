"""A rebuild started through the admin service streams its progress to the switch; verify
reports the read models clean, and a divergence once a document is changed behind its back."""

from __future__ import annotations

import grpc
import pytest

from orders.v1 import admin_pb2 as pb
from orders.v1 import errors_pb2
from projector.subscription_group import GroupSettings
from projector.versions import set_pointer
from tests.admin.order_events import pay, place
from tests.admin.running_replica import admin_replica, wait_until_consuming
from tests.projector.projector_harness import connect
from tests.rich_errors import rich_error
from tests.waiting import wait_until

GROUP = GroupSettings(name="admin-rebuild", max_retry_count=3, message_timeout=5.0)
ORDERS = 12


async def test_a_rebuild_streams_its_progress_until_readers_switch_to_the_new_version(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    async with (
        connect(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stores,
        admin_replica(stores, GROUP) as replica,
    ):
        for n in range(ORDERS):
            await place(stores.eventstore, f"o{n}")
            await pay(stores.eventstore, f"o{n}")
        await wait_until_consuming(replica)
        progress = [
            message
            async for message in replica.admin.StartRebuild(pb.StartRebuildRequest(), timeout=120)
        ]
        status = await replica.status()
        rebuilt = await stores.db["order_summaries_v2"].count_documents({"status": "PAID"})

    phases = [message.phase for message in progress]
    assert phases[0] == pb.REBUILD_PHASE_REPLAYING
    assert phases[-1] == pb.REBUILD_PHASE_SWITCHED
    assert phases.index(pb.REBUILD_PHASE_WRITING) < phases.index(pb.REBUILD_PHASE_CATCHING_UP)
    assert {message.version for message in progress} == {2}
    last = progress[-1]
    assert last.events_read == 2 * ORDERS
    assert last.commit_position >= last.head_commit_position > 0
    assert status.active_version == 2
    assert status.previous_version == 1
    assert status.building_version == 0
    assert rebuilt == ORDERS


async def test_a_rebuild_is_refused_while_the_pointer_names_a_version_being_built(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    async with (
        connect(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stores,
        admin_replica(stores, GROUP) as replica,
    ):
        await set_pointer(stores.db, {"building_version": 7})
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            async for _ in replica.admin.StartRebuild(pb.StartRebuildRequest(), timeout=60):
                pass

    error = rich_error(refused.value)
    assert error.code == grpc.StatusCode.FAILED_PRECONDITION
    assert error.reason == errors_pb2.ErrorReason.Name(errors_pb2.REBUILD_IN_PROGRESS)
    assert error.metadata == {"building_version": "7"}


async def test_verify_reports_clean_read_models_and_a_document_changed_behind_their_back(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    async with (
        connect(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stores,
        admin_replica(stores, GROUP) as replica,
    ):
        for n in range(ORDERS):
            await place(stores.eventstore, f"o{n}")
        summaries = stores.db["order_summaries_v1"]

        async def projected() -> bool:
            return await summaries.count_documents({}) == ORDERS

        await wait_until(projected, "the orders projected")
        clean = await replica.admin.VerifyReadModels(pb.VerifyReadModelsRequest(), timeout=60)
        await summaries.update_one({"_id": "o3"}, {"$set": {"customer_name": "Mallory"}})
        divergent = await replica.admin.VerifyReadModels(pb.VerifyReadModelsRequest(), timeout=60)

    assert clean.clean
    assert clean.version == 1
    assert clean.checked["order_summaries"] == ORDERS
    assert not clean.divergences
    assert "match" in clean.summary
    assert not divergent.clean
    (found,) = divergent.divergences
    assert (found.collection, found.document_id, found.problem) == (
        "order_summaries",
        "o3",
        "different",
    )
    assert list(found.fields) == ["customer_name"]
