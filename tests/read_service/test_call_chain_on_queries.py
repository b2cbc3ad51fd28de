"""The interceptor chain on QueryService: correlation ids in and out, the same rule as commands."""

from __future__ import annotations

import re

import grpc
import pytest

from orders.v1 import query_service_pb2 as pb
from tests.read_service.order_history import START
from tests.read_service.read_harness import ReadService
from tests.rich_errors import rich_error


async def _summary_answered_with(
    service: ReadService, metadata: tuple[tuple[str, str], ...]
) -> str:
    call = service.stub.GetOrderSummary(
        pb.GetOrderSummaryRequest(order_id="o-1"), metadata=metadata
    )
    assert (await call).order.order_id == "o-1"
    return str(dict(await call.trailing_metadata() or ())["x-correlation-id"])


async def test_the_callers_correlation_id_comes_back_and_an_unusable_one_is_replaced(
    read_service: ReadService,
) -> None:
    read_service.history.register("c-1", "Ada")
    read_service.history.place("o-1", "c-1", START)
    await read_service.project_pending()

    kept = await _summary_answered_with(read_service, (("x-correlation-id", "corr-query-1"),))
    replaced = [
        await _summary_answered_with(read_service, (("x-correlation-id", unusable),))
        for unusable in ("two words", "x" * 129, "")
    ]
    made_up = await _summary_answered_with(read_service, ())

    assert kept == "corr-query-1"
    # The read side used to keep anything, cut to 128 characters; now one rule for both sides.
    for answered in (*replaced, made_up):
        assert re.fullmatch("[0-9a-f]{32}", answered), "a new id: 32 random hex digits"
    assert len({*replaced, made_up}) == 4


async def test_a_refused_query_answers_with_its_correlation_id(read_service: ReadService) -> None:
    call = read_service.stub.GetCustomer(
        pb.GetCustomerRequest(customer_id="nobody"),
        metadata=(("x-correlation-id", "corr-missing"),),
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call

    refused = rich_error(caught.value)
    assert (refused.code, refused.reason) == (grpc.StatusCode.NOT_FOUND, "CUSTOMER_NOT_FOUND")
    assert refused.metadata == {"customer_id": "nobody"}
    assert dict(caught.value.trailing_metadata() or ())["x-correlation-id"] == "corr-missing"
