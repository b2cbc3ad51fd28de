"""The open transactions of dead replicas are ended at once (``projector.stale_sessions``), and
ending one of a replica that is in fact alive loses nothing.

The store's own reaper aborts a transaction only after it idled for 60 seconds; each test ends
its transaction well before that (a replica's start takes about a second), so a transaction
found aborted is one the projector killed.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from dataclasses import dataclass
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import OperationFailure

from orders_contracts.read_models import ORDER_SUMMARIES, collection_name
from projector.admin_control import Control
from projector.stale_sessions import HEARTBEAT, RESTART, SESSIONS, Owner, SessionBook
from projector.subscription_group import GroupSettings
from tests.projector.projector_harness import Stores, connect, dump
from tests.projector.replica_with_metrics import replica_with_metrics, sessions_killed
from tests.projector.test_document_cache import one_long_order
from tests.waiting import wait_until

NO_SUCH_TRANSACTION = 251


def a_process_that_ended(replica: str) -> Owner:
    """The owner of a replica whose process ran on this host and is gone (killed -9)."""
    process = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=-1)
    owner = Owner.this_process(replica, process.pid)
    process.kill()
    process.wait()
    return owner


@dataclass
class HeldOrder:
    """An order whose summary a transaction left open holds, as a replica killed mid-batch
    leaves it."""

    stores: Stores
    order_id: str
    last_revision: int
    holder: AsyncClientSession

    async def projected(self) -> bool:
        summaries = self.stores.db[collection_name(ORDER_SUMMARIES, 1)]
        found = await summaries.find_one({"_id": self.order_id})
        return found is not None and found.get("revision") == self.last_revision


async def an_order_held(stores: Stores) -> HeldOrder:
    events = await one_long_order(stores)
    order_id = events[0].stream_name.removeprefix("order-")
    holder = stores.mongo.start_session()
    await holder.start_transaction()
    summaries = stores.db[collection_name(ORDER_SUMMARIES, 1)]
    await summaries.update_one(
        {"_id": order_id}, {"$set": {"held": True}}, upsert=True, session=holder
    )
    return HeldOrder(stores, order_id, events[-1].revision, holder)


def test_a_process_is_taken_for_dead_only_on_its_own_host_and_once_its_pid_runs_another() -> None:
    here = Owner.this_process("here")
    # A restarted container's projector: the same host name and pid, started at another time.
    restarted = Owner("before", here.host, here.pid, here.started - 60)
    elsewhere = Owner("there", "another-host", 2**22 + 1, 0.0)

    assert not here.is_gone_from(here.host)
    assert restarted.is_gone_from(here.host)
    assert a_process_that_ended("ended").is_gone_from(here.host)
    assert not elsewhere.is_gone_from(here.host)


async def test_a_replica_starting_ends_the_transaction_a_dead_process_on_its_host_left_open(
    history_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    registry = CollectorRegistry()
    async with connect(history_uri, mongo_uri, mongo_db_name) as stores:
        held = await an_order_held(stores)
        holder = held.holder
        dead = SessionBook(stores.mongo, stores.database, a_process_that_ended("dead-replica"))
        await dead.record(holder)

        group = GroupSettings(name="stale-sessions-restart")
        async with replica_with_metrics(stores, group, registry):
            with pytest.raises(OperationFailure) as refused:
                await holder.commit_transaction()
            await wait_until(held.projected, "the held order projected")
            records = await stores.db[SESSIONS].count_documents({"replica": "dead-replica"})
            own = await stores.db[SESSIONS].count_documents({})
        # Stopped cleanly, the replica forgets its own: nobody kills them for nothing.
        left = await stores.db[SESSIONS].count_documents({})
        await holder.end_session()

    assert refused.value.code == NO_SUCH_TRANSACTION
    assert sessions_killed(registry, RESTART) == 1
    assert sessions_killed(registry, HEARTBEAT) == 0
    assert records == 0
    assert own >= 1
    assert left == 0


async def test_a_replica_without_a_heartbeat_has_its_transaction_ended_by_a_live_one(
    history_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    registry = CollectorRegistry()
    async with connect(history_uri, mongo_uri, mongo_db_name) as stores:
        held = await an_order_held(stores)
        holder = held.holder
        # On another node: only its silence in the control document tells it is gone.
        elsewhere = Owner("lost-node-replica", "lost-node", 1, 0.0)
        await SessionBook(stores.mongo, stores.database, elsewhere).record(holder)

        async def forgotten() -> bool:
            records = stores.db[SESSIONS]
            return await records.count_documents({"replica": elsewhere.replica}) == 0

        group = GroupSettings(name="stale-sessions-heartbeat")
        async with replica_with_metrics(stores, group, registry, session_sweep_interval=0.05):
            await wait_until(forgotten, "the lost replica's session ended")
            with pytest.raises(OperationFailure) as refused:
                await holder.commit_transaction()
            await wait_until(held.projected, "the held order projected")
        await holder.end_session()

    assert refused.value.code == NO_SUCH_TRANSACTION
    assert sessions_killed(registry, HEARTBEAT) == 1
    assert sessions_killed(registry, RESTART) == 0


class KillBeforeCommit(monitoring.CommandListener):
    """Another replica, taking the writer's replica for gone, ends its sessions while the
    writer's transaction has written everything and is about to commit."""

    def __init__(self, mongo_uri: str, database: str) -> None:
        self._uri, self._database = mongo_uri, database
        self.killed: list[Any] = []
        self.failed_commits: list[int | None] = []
        self.commits_on: list[Any] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name != "commitTransaction":
            return
        self.commits_on.append(event.command["lsid"]["id"])
        if not self.killed:
            # The listener runs on the writer's event loop: the other replica runs on a loop of
            # its own, while the writer's waits.
            thread = threading.Thread(target=lambda: asyncio.run(self._other_replica_looks()))
            thread.start()
            thread.join()

    async def _other_replica_looks(self) -> None:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(self._uri, tz_aware=True)
        try:
            other = SessionBook(
                client,
                self._database,
                Owner.this_process("other-replica"),
                lambda reason, count: self.killed.append((reason, count)),
            )
            await other.end_gone(Control(client[self._database]))
        finally:
            await client.close()

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        if event.command_name == "commitTransaction" and isinstance(event.failure, dict):
            self.failed_commits.append(event.failure.get("code"))


async def test_a_live_replica_whose_session_is_killed_under_it_goes_on_and_loses_nothing(
    history_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    listener = KillBeforeCommit(mongo_uri, mongo_db_name)
    observed: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongo_uri, tz_aware=True, event_listeners=[listener]
    )
    async with connect(history_uri, mongo_uri, mongo_db_name) as stores:
        events = await one_long_order(stores)
        observed_stores = Stores(history_uri, stores.eventstore, observed, mongo_db_name)
        live = SessionBook(observed, mongo_db_name, Owner.this_process("live-replica"))
        writer = observed_stores.writer()
        writer.record_session = live.record
        first = await writer.write(events[:2])
        second = await writer.write(events[2:])
        forgotten = await stores.db[SESSIONS].count_documents({"replica": "live-replica"})
        # Its next look writes back the records the other replica forgot.
        await live.end_gone(Control(stores.db))
        recorded = await stores.db[SESSIONS].count_documents({"replica": "live-replica"})
        found = await dump(stores.db)

    async with connect(history_uri, mongo_uri, mongo_db_name + "_reference") as reference:
        await reference.writer().write(events[:2])
        await reference.writer().write(events[2:])
        expected = await dump(reference.db)
        await reference.mongo.drop_database(reference.database)
    await observed.close()

    assert listener.killed == [(HEARTBEAT, 1)]
    assert listener.failed_commits == [NO_SUCH_TRANSACTION]
    # The killed lsid kept working: the retry and the next batch committed on it.
    assert len(listener.commits_on) == 3
    assert set(listener.commits_on) == {listener.commits_on[0]}
    assert first.counts["applied"] + second.counts["applied"] == len(events)
    assert found == expected
    assert (forgotten, recorded) == (0, 1)
