"""Consistency tokens: WAIT until the projection reaches them, or answer at once flagged stale."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import timedelta

import grpc
import pytest
from pymongo import AsyncMongoClient

from orders.v1 import consistency_pb2, types_pb2
from orders.v1 import query_service_pb2 as pb
from tests.read_service.order_history import START, Token
from tests.read_service.read_harness import ReadService, running_read_service, settings_for
from tests.rich_errors import rich_error
from tests.waiting import wait_until

WAIT = consistency_pb2.STALENESS_POLICY_WAIT
ALLOW_STALE = consistency_pb2.STALENESS_POLICY_ALLOW_STALE


def consistency(
    token: Token, policy: consistency_pb2.StalenessPolicy.ValueType
) -> consistency_pb2.ReadConsistency:
    return consistency_pb2.ReadConsistency(
        min_token=consistency_pb2.ConsistencyToken(
            stream=token.stream, revision=token.revision, commit_position=token.commit_position
        ),
        policy=policy,
    )


async def paid_after_projection(service: ReadService) -> Token:
    """Order o-1 placed and projected, then paid: the payment's token is not reached yet."""
    service.history.place("o-1", "c-1", START)
    await service.project_pending()
    return service.history.pay("o-1", 2500, "EUR", START + timedelta(hours=1))


async def project_later(service: ReadService, *, record: bool = True) -> None:
    """The projection arriving once a read waits for it (``record`` as in ``project_pending``)."""

    async def a_read_waits() -> bool:
        return service.server.watcher.waiting > 0

    await wait_until(a_read_waits, "a read waiting for the projection")
    await service.project_pending(record=record)


async def test_a_waiting_read_answers_as_soon_as_the_projection_reaches_the_token(
    read_service: ReadService,
) -> None:
    paid = await paid_after_projection(read_service)

    projection = asyncio.create_task(project_later(read_service))
    response = await read_service.stub.GetOrderSummary(
        pb.GetOrderSummaryRequest(order_id="o-1", consistency=consistency(paid, WAIT)), timeout=20
    )

    assert response.order.status == types_pb2.ORDER_STATUS_PAID
    assert not response.read_metadata.stale
    assert response.read_metadata.projected_stream_revision == paid.revision
    # Woken by the change stream: the safety recheck (30 s in tests) is past the call's 20 s
    # deadline, so nothing else could have answered it.
    await projection


async def test_a_waiting_read_is_answered_by_the_batch_before_its_progress_is_recorded(
    read_service: ReadService,
) -> None:
    paid = await paid_after_projection(read_service)

    projection = asyncio.create_task(project_later(read_service, record=False))
    response = await read_service.stub.GetOrderSummary(
        pb.GetOrderSummaryRequest(order_id="o-1", consistency=consistency(paid, WAIT)), timeout=20
    )

    # No status document moved and the safety recheck is 30 s away: the order's own change
    # woke the read, which then answers no less than the token it reached.
    assert response.order.status == types_pb2.ORDER_STATUS_PAID
    assert not response.read_metadata.stale
    assert response.read_metadata.projected_commit_position >= paid.commit_position
    await projection


async def test_a_waiting_read_of_a_new_order_finds_it_once_projected(
    read_service: ReadService,
) -> None:
    placed = read_service.history.place("o-1", "c-1", START)
    projection = asyncio.create_task(project_later(read_service))

    response = await read_service.stub.GetOrderDetails(
        pb.GetOrderDetailsRequest(order_id="o-1", consistency=consistency(placed, WAIT)),
        timeout=20,
    )

    await projection
    assert response.order.summary.order_id == "o-1"


async def test_a_waiting_read_fails_with_deadline_exceeded_when_the_token_is_not_reached(
    read_service: ReadService,
) -> None:
    paid = await paid_after_projection(read_service)
    started = time.monotonic()

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await read_service.stub.GetOrderSummary(
            pb.GetOrderSummaryRequest(order_id="o-1", consistency=consistency(paid, WAIT)),
            timeout=2,
        )

    error = rich_error(caught.value)
    assert (error.code, error.reason) == (
        grpc.StatusCode.DEADLINE_EXCEEDED,
        "CONSISTENCY_NOT_REACHED",
    )
    assert error.metadata["stream"] == "order-o-1"
    assert error.metadata["min_revision"] == "1"
    assert error.metadata["min_commit_position"] == str(paid.commit_position)
    assert int(error.metadata["projected_commit_position"]) < paid.commit_position
    assert time.monotonic() - started > 1.5, "it answered before waiting"


async def test_an_allow_stale_read_answers_at_once_and_says_it_is_stale(
    read_service: ReadService,
) -> None:
    paid = await paid_after_projection(read_service)

    response = await read_service.stub.GetOrderSummary(
        pb.GetOrderSummaryRequest(order_id="o-1", consistency=consistency(paid, ALLOW_STALE)),
        timeout=20,
    )

    # Answered, and stale: a waiting read would have failed at its deadline instead.
    assert response.read_metadata.stale
    assert response.order.status == types_pb2.ORDER_STATUS_PLACED
    assert response.read_metadata.projected_stream_revision == 0

    await read_service.project_pending()
    fresh = await read_service.stub.GetOrderSummary(
        pb.GetOrderSummaryRequest(order_id="o-1", consistency=consistency(paid, ALLOW_STALE))
    )
    assert not fresh.read_metadata.stale
    assert fresh.order.status == types_pb2.ORDER_STATUS_PAID


async def test_listings_stats_and_analytics_wait_for_the_tokens_stream(
    read_service: ReadService,
) -> None:
    history = read_service.history
    registered = history.register("c-1", "Ada")
    placed = history.place("o-1", "c-1", START)
    day = types_pb2.Date(year=START.year, month=START.month, day=START.day)
    calls = [
        read_service.stub.ListCustomerOrders(
            pb.ListCustomerOrdersRequest(customer_id="c-1", consistency=consistency(placed, WAIT)),
            timeout=20,
        ),
        read_service.stub.ListOrders(
            pb.ListOrdersRequest(consistency=consistency(placed, WAIT)), timeout=20
        ),
        read_service.stub.GetCustomer(
            pb.GetCustomerRequest(customer_id="c-1", consistency=consistency(registered, WAIT)),
            timeout=20,
        ),
        read_service.stub.GetOrderStats(
            pb.GetOrderStatsRequest(consistency=consistency(placed, WAIT)), timeout=20
        ),
        read_service.stub.GetSalesAnalytics(
            pb.GetSalesAnalyticsRequest(
                start_date=day, end_date=day, consistency=consistency(placed, WAIT)
            ),
            timeout=20,
        ),
    ]
    projection = asyncio.create_task(project_later(read_service))

    listing, orders, customer, stats, sales = await asyncio.gather(*calls)  # type: ignore[call-overload]

    await projection
    assert [o.order_id for o in listing.orders] == ["o-1"]
    assert [o.order_id for o in orders.orders] == ["o-1"]
    assert customer.customer.order_count == 1
    assert sum(row.order_count for row in stats.rows) == 1
    assert sales.currencies[0].totals.order_count == 1
    # Each answer claims at least the token it waited for. GetCustomer waited for the
    # registration, which the customer's own document shows as soon as the batch commits: it
    # may answer before that batch's progress (which holds the order too) is recorded, and
    # progress is allowed to trail (ReadMetadata). Asking it for the order's position failed a
    # full-suite run in session 7.
    waited_for = ((listing, placed), (orders, placed), (customer, registered))
    for response, token in (*waited_for, (stats, placed), (sales, placed)):
        assert not response.read_metadata.stale
        assert response.read_metadata.projected_commit_position >= token.commit_position


async def test_many_waiting_reads_are_woken_by_one_projection_with_polling_instead_of_streams(
    mongo_client: AsyncMongoClient[dict[str, object]],
    projector_client: AsyncMongoClient[dict[str, object]],
    mongo_db_name: str,
) -> None:
    settings = replace(settings_for(mongo_db_name), use_change_stream=False)
    async with running_read_service(mongo_client, projector_client, settings) as service:
        tokens = [service.history.place(f"o-{n}", "c-1", START) for n in range(40)]
        projection = asyncio.create_task(project_later(service))

        responses = await asyncio.gather(
            *(
                service.stub.GetOrderSummary(
                    pb.GetOrderSummaryRequest(
                        order_id=f"o-{n}", consistency=consistency(token, WAIT)
                    ),
                    timeout=20,
                )
                for n, token in enumerate(tokens)
            )
        )
        await projection

        assert service.server.watcher.mode == "poll"
        # Every one answered within its deadline, which the 30 s safety recheck is past.
        assert sorted(r.order.order_id for r in responses) == sorted(f"o-{n}" for n in range(40))
    await mongo_client.drop_database(mongo_db_name)
