"""ListCustomerOrders and ListOrders: newest first, keyset page tokens, stable under new orders."""

from __future__ import annotations

from datetime import timedelta

from orders.v1 import query_service_pb2 as pb
from orders.v1 import types_pb2
from orders_contracts.events import (
    OrderPlaced,
)
from tests.read_service.order_history import (
    START,
    History,
    final_status,
    place_customer_orders,
    random_lifecycles,
    timestamp,
)
from tests.read_service.read_harness import ReadService


async def walk_customer_orders(
    service: ReadService, customer_id: str, page_size: int, between_pages: object = None
) -> tuple[list[str], int]:
    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        response = await service.stub.ListCustomerOrders(
            pb.ListCustomerOrdersRequest(
                customer_id=customer_id, page_size=page_size, page_token=token
            )
        )
        pages += 1
        seen.extend(order.order_id for order in response.orders)
        assert all(order.customer_id == customer_id for order in response.orders)
        token = response.next_page_token
        if not token:
            return seen, pages
        if callable(between_pages):
            await between_pages(pages)


def newest_first(history: History, order_ids: set[str]) -> list[str]:
    placed = {
        event.order_id: event.placed_at
        for event in history.events()
        if isinstance(event, OrderPlaced) and event.order_id in order_ids
    }
    return sorted(placed, key=lambda order_id: (placed[order_id], order_id), reverse=True)


async def test_paging_walks_all_57_orders_of_a_customer_newest_first_without_gaps_or_repeats(
    read_service: ReadService,
) -> None:
    history = read_service.history
    place_customer_orders(history, "c-57", 57, "a")
    place_customer_orders(history, "c-other", 20, "b")
    await read_service.project_pending()

    seen, pages = await walk_customer_orders(read_service, "c-57", page_size=10)

    assert pages == 6
    assert seen == newest_first(history, {f"a-{index:03d}" for index in range(57)})


async def test_paging_stays_complete_while_new_orders_for_the_customer_arrive(
    read_service: ReadService,
) -> None:
    history = read_service.history
    place_customer_orders(history, "c-57", 57, "a")
    await read_service.project_pending()
    original = newest_first(history, {f"a-{index:03d}" for index in range(57)})

    async def place_two_more(page: int) -> None:
        for extra in range(2):
            history.place(f"new-{page}-{extra}", "c-57", START + timedelta(days=1, minutes=page))
        await read_service.project_pending()

    seen, _ = await walk_customer_orders(read_service, "c-57", 7, between_pages=place_two_more)

    assert seen == original
    everything, _ = await walk_customer_orders(read_service, "c-57", 100)
    assert len(everything) == 57 + 2 * 8


async def test_page_size_zero_means_ten_and_sizes_above_100_are_coerced_to_100(
    read_service: ReadService,
) -> None:
    history = read_service.history
    place_customer_orders(history, "c-1", 120, "a")
    await read_service.project_pending()

    default = await read_service.stub.ListOrders(pb.ListOrdersRequest())
    capped = await read_service.stub.ListOrders(pb.ListOrdersRequest(page_size=1000))

    assert len(default.orders) == 10
    assert len(capped.orders) == 100
    rest = await read_service.stub.ListOrders(
        pb.ListOrdersRequest(page_size=1000, page_token=capped.next_page_token)
    )
    assert len(rest.orders) == 20
    assert rest.next_page_token == ""


async def test_an_exactly_full_last_page_has_no_next_token(read_service: ReadService) -> None:
    place_customer_orders(read_service.history, "c-1", 20, "a")
    await read_service.project_pending()

    seen, pages = await walk_customer_orders(read_service, "c-1", page_size=10)

    assert (len(seen), pages) == (20, 2)


async def test_a_customer_without_orders_gets_an_empty_list(read_service: ReadService) -> None:
    response = await read_service.stub.ListCustomerOrders(
        pb.ListCustomerOrdersRequest(customer_id="nobody")
    )

    assert list(response.orders) == []
    assert response.next_page_token == ""


async def test_list_orders_filters_by_status_and_creation_time_across_pages(
    read_service: ReadService,
) -> None:
    history = read_service.history
    random_lifecycles(history, ["c-1", "c-2", "c-3"], orders=90, seed=7)
    await read_service.project_pending()
    after, before = START + timedelta(days=1), START + timedelta(days=4)
    expected = sorted(
        (
            (created, order_id)
            for order_id, (status, created) in final_status(history).items()
            if status in ("PAID", "CANCELLED") and after <= created < before
        ),
        reverse=True,
    )
    request = pb.ListOrdersRequest(
        statuses=[types_pb2.ORDER_STATUS_CANCELLED, types_pb2.ORDER_STATUS_PAID],
        created_after=timestamp(after),
        created_before=timestamp(before),
        page_size=4,
    )

    seen: list[str] = []
    while True:
        response = await read_service.stub.ListOrders(request)
        seen.extend(order.order_id for order in response.orders)
        if not response.next_page_token:
            break
        request.page_token = response.next_page_token

    assert expected, "the generated history must contain matching orders"
    assert seen == [order_id for _, order_id in expected]
