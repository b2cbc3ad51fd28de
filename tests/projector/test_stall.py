"""A subscription whose connection went silent is noticed, reported and reconnected.

The subscription's connection to the event store passes through a TCP proxy that the test cuts
the way a forgetful NAT or firewall does: the server's side is closed, the projector's side
stays open and silent. Without keep-alives the client would wait on it forever. The stall watch
reads the head of $all on a connection of its own, which the test leaves alone.
"""

from __future__ import annotations

from typing import Any

import pytest
from kurrentdbclient import StreamState
from structlog.testing import capture_logs

from orders_contracts.streams import order_stream
from projector.projector_state import StateReport
from projector.subscription_group import GroupSettings
from tests.projector.health_probe import NOT_SERVING, SERVING, health_changes
from tests.projector.projector_harness import connect, running_replica, status
from tests.projector.tcp_proxy import tcp_proxy
from tests.projector.test_event_faults import placed
from tests.waiting import wait_until


@pytest.mark.timeout(240)
async def test_a_silently_dead_subscription_is_reported_stalled_and_reconnected(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    group = GroupSettings(name="stall", max_retry_count=5, message_timeout=30.0)
    async with (
        connect(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stores,
        tcp_proxy(fresh_eventstore_uri) as (proxy, through_proxy),
        running_replica(
            stores,
            group,
            eventstore_uri=through_proxy,
            watch_uri=fresh_eventstore_uri,
            stall_seconds=2.0,
        ) as replica,
    ):
        states: list[StateReport] = []

        async def remember(report: StateReport) -> None:
            states.append(report)

        replica.consumer.board.listen(remember)
        summaries = stores.db["order_summaries_v1"]

        async def projected(count: int) -> bool:
            return await summaries.count_documents({}) == count

        async def append(order_id: str) -> None:
            await stores.eventstore.append_to_stream(
                order_stream(order_id), current_version=StreamState.ANY, events=[placed(order_id)]
            )

        await append("before")
        await wait_until(lambda: projected(1), "the first order")
        with capture_logs() as logs:
            async with health_changes(replica.health_port) as health:
                proxy.cut()
                for n in range(20):
                    await append(f"after{n}")
                await wait_until(lambda: projected(21), "the orders appended after the cut")

                async def serving() -> bool:
                    return replica.consumer.board.state == "running" and health[-1:] == [SERVING]

                await wait_until(serving, "SERVING again")
        stalled_logs: list[dict[str, Any]] = [
            dict(e) for e in logs if e["event"] == "subscription stalled, reconnecting"
        ]

        async def running_recorded() -> bool:
            replicas = (await status(stores.db)).get("replicas", {})
            return [r["state"] for r in replicas.values()] == ["running"]

        await wait_until(running_recorded, "the replica's state in the status documents")

    stalled = [s for s in states if s.state == "stalled"]
    assert stalled, [s.state for s in states]
    assert "events wait" in (stalled[0].reason or "")
    assert stalled_logs
    assert stalled_logs[0]["reason"] == stalled[0].reason
    assert NOT_SERVING in health
    assert health[0] == SERVING
    assert states[-1].state == "running"
