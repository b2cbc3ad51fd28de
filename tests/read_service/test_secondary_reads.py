"""Reads from MongoDB secondaries (READ_SERVICE_READ_PREFERENCE) keep read-your-writes, because
each query's reads share one causally consistent session.

SecantusDB is a one-member replica set: whatever the preference, its primary serves every read,
and it accepts ``afterClusterTime`` without ever waiting (it cannot lag itself). So besides the
answers, these tests check what the service asks MongoDB for, through the driver's command
monitoring: the preference, and a majority read concern after the cluster time of the write the
token names. Over a real replica set, the member serving the read does that waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import grpc
import pytest
from bson import Timestamp
from pymongo import AsyncMongoClient
from pymongo.monitoring import (
    CommandFailedEvent,
    CommandListener,
    CommandStartedEvent,
    CommandSucceededEvent,
)

from orders.v1 import query_service_pb2 as pb
from orders.v1 import types_pb2
from orders_contracts import read_models as rm
from orders_runtime.settings import SettingsError, settings_from
from read_service.server import mongo_client_for
from read_service.settings import Settings
from tests.read_service.order_history import START
from tests.read_service.read_harness import (
    ReadService,
    feed_following,
    running_read_service,
    settings_for,
)
from tests.read_service.test_read_your_writes import (
    ALLOW_STALE,
    WAIT,
    consistency,
    project_later,
)
from tests.runtime.test_process_settings import clean_environment, start

Doc = dict[str, Any]


@dataclass
class Commands(CommandListener):
    """Every command a client sent and every reply it got, in order."""

    sent: list[CommandStartedEvent] = field(default_factory=list)
    replies: list[CommandSucceededEvent] = field(default_factory=list)

    def started(self, event: CommandStartedEvent) -> None:
        self.sent.append(event)

    def succeeded(self, event: CommandSucceededEvent) -> None:
        self.replies.append(event)

    def failed(self, event: CommandFailedEvent) -> None:
        pass

    def clear(self) -> None:
        self.sent.clear()
        self.replies.clear()

    def finds(self, database: str, matching: Callable[[Mapping[str, Any]], bool]) -> list[Doc]:
        return [
            dict(event.command)
            for event in self.sent
            if event.command_name == "find"
            and event.database_name == database
            and matching(event.command)
        ]


@dataclass
class Monitored:
    service: ReadService
    read_preference: str
    queries: Commands
    projector: Commands


def replica_set_uri(mongo_uri: str) -> str:
    """The fixture's URI without ``directConnection``: the driver then sees the replica set and
    sends the read preference as it is (connected directly, it sends primaryPreferred for all)."""
    uri = mongo_uri.replace("?directConnection=true", "")
    assert "directConnection" not in uri
    return uri


@pytest.fixture(params=["primary", "nearest"])
async def monitored(
    request: pytest.FixtureRequest, mongo_uri: str, mongo_db_name: str
) -> AsyncIterator[Monitored]:
    """A read service with the parametrised READ_SERVICE_READ_PREFERENCE, on the client its
    composition root makes, both clients' commands recorded."""
    settings = settings_for(
        mongo_db_name, mongo_uri=replica_set_uri(mongo_uri), read_preference=request.param
    )
    queries, projector = Commands(), Commands()
    client = mongo_client_for(settings, [queries])
    projector_client: AsyncMongoClient[Doc] = AsyncMongoClient(
        mongo_uri, tz_aware=True, event_listeners=[projector]
    )
    try:
        async with running_read_service(client, projector_client, settings) as service:
            yield Monitored(service, request.param, queries, projector)
        await client.drop_database(mongo_db_name)
    finally:
        await client.close()
        await projector_client.close()


def is_query_read(command: Mapping[str, Any]) -> bool:
    """The query's own reads of order o-1 and of its model's progress (the shared reads ask for
    several ids, ``{"$in": [...]}``, or for every status, ``{}``)."""
    name, wanted = str(command["find"]), command.get("filter")
    if name.startswith(rm.PROJECTION_STATUS):
        return wanted == {"_id": rm.ORDER_SUMMARIES}
    return name.startswith(rm.ORDER_SUMMARIES) and wanted == {"_id": "o-1"}


def is_waiters_check(command: Mapping[str, Any]) -> bool:
    return isinstance(command.get("filter", {}).get("_id"), dict)


def last_commit_time(commands: Commands) -> Timestamp:
    commits = [reply for reply in commands.replies if reply.command_name == "commitTransaction"]
    assert commits, "the projector commits each batch in a transaction"
    time = commits[-1].reply["operationTime"]
    assert isinstance(time, Timestamp)
    return time


async def test_with_reads_on_secondaries_a_waiting_read_still_sees_the_callers_write(
    mongo_uri: str, mongo_db_name: str
) -> None:
    settings = settings_for(
        mongo_db_name, mongo_uri=replica_set_uri(mongo_uri), read_preference="secondaryPreferred"
    )
    client = mongo_client_for(settings)
    projector_client: AsyncMongoClient[Doc] = AsyncMongoClient(mongo_uri, tz_aware=True)
    try:
        async with running_read_service(client, projector_client, settings) as service:
            history = service.history
            history.place("o-1", "c-1", START)
            await service.project_pending()
            paid = history.pay("o-1", 2500, "EUR", START + timedelta(hours=1))
            projection = asyncio.create_task(project_later(service))

            summary = await service.stub.GetOrderSummary(
                pb.GetOrderSummaryRequest(order_id="o-1", consistency=consistency(paid, WAIT)),
                timeout=20,
            )
            details = await service.stub.GetOrderDetails(
                pb.GetOrderDetailsRequest(order_id="o-1", consistency=consistency(paid, WAIT)),
                timeout=20,
            )
            await projection
        await client.drop_database(mongo_db_name)
    finally:
        await client.close()
        await projector_client.close()

    assert summary.order.status == types_pb2.ORDER_STATUS_PAID
    assert summary.read_metadata.projected_stream_revision == paid.revision
    assert not summary.read_metadata.stale
    assert details.order.summary.status == types_pb2.ORDER_STATUS_PAID
    assert details.read_metadata.projected_commit_position >= paid.commit_position


async def test_a_waiting_query_reads_with_the_preference_after_the_write_its_token_names(
    monitored: Monitored,
) -> None:
    service = monitored.service
    history = service.history
    history.place("o-1", "c-1", START)
    paid = history.pay("o-1", 2500, "EUR", START + timedelta(hours=1))
    await service.project_pending()
    committed_at = last_commit_time(monitored.projector)
    monitored.queries.clear()

    response = await service.stub.GetOrderSummary(
        pb.GetOrderSummaryRequest(order_id="o-1", consistency=consistency(paid, WAIT)), timeout=20
    )

    assert response.order.status == types_pb2.ORDER_STATUS_PAID
    database = service.database
    # The shared check that saw the token reached reads the primary, whatever the setting.
    checks = monitored.queries.finds(database, is_waiters_check)
    assert checks
    assert all("$readPreference" not in check for check in checks)
    if monitored.read_preference == "primary":
        every_read = monitored.queries.finds(database, lambda _: True)
        assert all("$readPreference" not in read for read in every_read)
        assert all("readConcern" not in read for read in every_read)
        return
    # Its first read (the progress it reports) and its answer share one session, and both are
    # causally after the commit of the payment, on whichever member serves them.
    progress_read, answer_read = monitored.queries.finds(database, is_query_read)
    assert str(progress_read["find"]).startswith(rm.PROJECTION_STATUS)
    assert progress_read["lsid"] == answer_read["lsid"]
    for read in (progress_read, answer_read):
        assert read["$readPreference"] == {"mode": "nearest"}
        assert read["readConcern"]["level"] == "majority"
        assert read["readConcern"]["afterClusterTime"] >= committed_at


@pytest.mark.parametrize("monitored", ["nearest"], indirect=True)
async def test_a_query_that_checks_its_token_itself_checks_it_in_its_session(
    monitored: Monitored,
) -> None:
    service = monitored.service
    history = service.history
    history.place("o-1", "c-1", START)
    await service.project_pending()
    paid = history.pay("o-1", 2500, "EUR", START + timedelta(hours=1))
    monitored.queries.clear()

    response = await service.stub.GetOrderSummary(
        pb.GetOrderSummaryRequest(order_id="o-1", consistency=consistency(paid, ALLOW_STALE)),
        timeout=20,
    )

    assert response.read_metadata.stale
    assert response.order.status == types_pb2.ORDER_STATUS_PLACED
    # The token check (the revision of o-1), the progress and the answer, in that order.
    reads = monitored.queries.finds(service.database, is_query_read)
    assert [read.get("projection") for read in reads] == [{"revision": True}, None, None]
    assert len({read["lsid"]["id"] for read in reads}) == 1
    for read in reads:
        assert read["$readPreference"] == {"mode": "nearest"}
        assert read["readConcern"]["level"] == "majority"
    # Each read after the check is causally after it: the session sends its reply's time.
    assert all("afterClusterTime" in read["readConcern"] for read in reads[1:])


@pytest.mark.parametrize("monitored", ["nearest"], indirect=True)
async def test_reads_that_fill_the_answer_cache_stay_on_the_primary(monitored: Monitored) -> None:
    service = monitored.service
    service.history.place("o-1", "c-1", START)
    await service.project_pending()
    await feed_following(service)
    monitored.queries.clear()

    response = await service.stub.GetOrderSummary(
        pb.GetOrderSummaryRequest(order_id="o-1"), timeout=20
    )

    assert response.order.order_id == "o-1"
    answers = monitored.queries.finds(service.database, is_query_read)
    assert answers
    assert all("$readPreference" not in read and "readConcern" not in read for read in answers)


async def test_secondary_with_no_secondary_to_read_answers_unavailable(
    mongo_uri: str, mongo_db_name: str
) -> None:
    settings = settings_for(
        mongo_db_name,
        mongo_uri=replica_set_uri(mongo_uri),
        read_preference="secondary",
        mongo_timeout_seconds=0.5,
    )
    client = mongo_client_for(settings)
    projector_client: AsyncMongoClient[Doc] = AsyncMongoClient(mongo_uri, tz_aware=True)
    try:
        async with running_read_service(client, projector_client, settings) as service:
            service.history.place("o-1", "c-1", START)
            await service.project_pending()
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await service.stub.GetOrderDetails(
                    pb.GetOrderDetailsRequest(order_id="o-1"), timeout=20
                )
        await client.drop_database(mongo_db_name)
    finally:
        await client.close()
        await projector_client.close()

    # SecantusDB is one member, its primary: `secondary` finds no member to read from.
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


def test_a_read_preference_is_accepted_in_any_case_and_an_unknown_one_is_refused() -> None:
    accepted = settings_from(Settings, {"READ_SERVICE_READ_PREFERENCE": "SECONDARYpreferred"})
    assert accepted.read_preference == "secondaryPreferred"
    assert settings_from(Settings, {}).read_preference == "primary"
    with pytest.raises(SettingsError, match="READ_SERVICE_READ_PREFERENCE"):
        settings_from(Settings, {"READ_SERVICE_READ_PREFERENCE": "secondaries"})


@pytest.mark.servers
def test_the_read_service_refuses_to_start_with_an_unknown_read_preference() -> None:
    refusal = start(
        ["-m", "read_service"], clean_environment(READ_SERVICE_READ_PREFERENCE="closest")
    )

    assert refusal.returncode == 2, refusal.output
    assert "READ_SERVICE_READ_PREFERENCE" in refusal.output
    assert "secondaryPreferred" in refusal.output
    assert "Traceback" not in refusal.output
