"""The projector's group: the event store never parks an event on its own because deliveries
timed out; only the projector decides that an event cannot be projected."""

from __future__ import annotations

import pytest
from kurrentdbclient import AsyncKurrentDBClient, StreamState
from kurrentdbclient.persistent import AsyncPersistentSubscription

from orders_contracts.events import OrderLine, OrderPlaced
from orders_contracts.streams import order_stream
from projector.subscription_group import GroupSettings, ensure_group
from tests.projector.projector_history import new_event
from tests.projector.test_event_faults import AT

# The projector's own limit; the event store parked at this count of deliveries before.
PROJECTOR_LIMIT = 2


# A hang guard: before the fix the parked event was never delivered again.
@pytest.mark.timeout(180)
async def test_an_event_whose_deliveries_keep_timing_out_is_delivered_again_not_parked(
    fresh_eventstore_uri: str,
) -> None:
    client = AsyncKurrentDBClient(fresh_eventstore_uri)
    await client.connect()
    group = GroupSettings(name="slow", max_retry_count=PROJECTOR_LIMIT, message_timeout=1.0)
    try:
        await ensure_group(client, group)
        placed = OrderPlaced("o1", "c1", "Ada", (OrderLine("s", 1, 100),), "EUR", 100, AT)
        await client.append_to_stream(
            order_stream("o1"), current_version=StreamState.NO_STREAM, events=[new_event(placed)]
        )
        subscription = await client.read_subscription_to_all(group.name)
        assert isinstance(subscription, AsyncPersistentSubscription)
        # A replica too slow to answer within the message timeout: it never acknowledges.
        deliveries = 0
        async for recorded in subscription:
            deliveries += 1
            if (recorded.retry_count or 0) > PROJECTOR_LIMIT + 1:
                await subscription.ack(recorded.ack_id)
                break
        await subscription.stop()
        info = await client.get_subscription_info(group.name)
    finally:
        await client.close()

    assert deliveries > PROJECTOR_LIMIT + 1
    assert info.parked_message_count == 0
