"""A poison event is parked after its retries while other orders flow; unknown ones are counted."""

from __future__ import annotations

from datetime import UTC, datetime

from kurrentdbclient import NewEvent, StreamState

from orders_contracts.events import OrderCancelled, OrderLine, OrderPlaced
from orders_contracts.streams import order_stream
from projector.subscription_group import GroupSettings
from tests.projector.projector_harness import connect, running_projector, status
from tests.projector.projector_history import new_event
from tests.waiting import wait_until

AT = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def placed(order_id: str) -> NewEvent:
    line = OrderLine("sku-1", 1, 990)
    return new_event(OrderPlaced(order_id, "c1", "Ada", (line,), "EUR", 990, AT))


async def test_a_poison_event_is_parked_after_its_retries_while_other_orders_are_applied(
    fresh_eventstore_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    async with connect(fresh_eventstore_uri, mongo_uri, mongo_db_name) as stores:
        append = stores.eventstore.append_to_stream
        await append(order_stream("bad"), current_version=StreamState.ANY, events=[placed("bad")])
        poison = NewEvent(type="PaymentProcessed", data=b'{"order_id": 5}', metadata=b"")
        await append(order_stream("bad"), current_version=StreamState.ANY, events=[poison])
        for n in range(5):
            order_id = f"good{n}"
            await append(
                order_stream(order_id), current_version=StreamState.ANY, events=[placed(order_id)]
            )
        odd = [
            new_event(OrderCancelled("good0", "x", AT), type_name="OrderGiftWrapped"),
            new_event(OrderCancelled("good0", "x", AT), schema_version=9),
        ]
        await append(order_stream("good0"), current_version=StreamState.ANY, events=odd)
        await append(
            order_stream("good1"),
            current_version=StreamState.ANY,
            events=[new_event(OrderCancelled("good1", "changed mind", AT))],
        )

        group = GroupSettings(name="poison", max_retry_count=2, message_timeout=2.0)
        async with running_projector(stores, group):

            async def parked() -> bool:
                return int((await status(stores.db)).get("events_parked", 0)) >= 1

            await wait_until(parked, "the poison event parked")
            summaries = stores.db["order_summaries_v1"]

            async def others_applied() -> bool:
                return await summaries.count_documents({"_id": {"$regex": "^good"}}) == 5

            await wait_until(others_applied, "the other orders")
            progress = await status(stores.db)
            docs = {d["_id"]: d async for d in summaries.find({})}

    assert docs["bad"]["revision"] == 0
    assert docs["bad"]["status"] == "PLACED"
    assert docs["good1"]["status"] == "CANCELLED"
    assert (docs["good0"]["revision"], docs["good0"]["status"]) == (2, "PLACED")
    assert progress["events_parked"] == 1
    assert progress["events_unknown"] == 2
