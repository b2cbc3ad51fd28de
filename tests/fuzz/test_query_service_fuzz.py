"""Every QueryService RPC under extreme and random requests (out-of-range timestamps and dates,
forged page tokens, unreachable consistency tokens): never UNKNOWN or INTERNAL."""

from __future__ import annotations

import pytest
from google.protobuf.message import Message
from hypothesis import given
from hypothesis import strategies as st

from orders.v1 import query_service_pb2
from tests.fuzz.fuzz_targets import QueryTarget, serving
from tests.fuzz.raw_rpc import Rpc, rpcs_of
from tests.fuzz.status_tally import StatusTally
from tests.fuzz.verdicts import assert_not_unknown_or_internal, fuzz_settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

RPCS = rpcs_of(query_service_pb2.DESCRIPTOR.services_by_name["QueryService"])
TARGET = "QueryService"


async def _query(
    target: QueryTarget, rpc: Rpc, request: Message | bytes, kind: str, tally: StatusTally
) -> None:
    body = request if isinstance(request, bytes) else request.SerializeToString()
    answer = await target.raw.send(rpc, [body])
    tally.add(TARGET, kind, answer.label)
    assert_not_unknown_or_internal(rpc, answer, request)


@pytest.mark.parametrize("rpc", RPCS, ids=lambda rpc: rpc.method)
@fuzz_settings()
@given(data=st.data())
async def test_extreme_well_formed_queries_are_never_answered_unknown_or_internal(
    rpc: Rpc, data: st.DataObject, query_target: QueryTarget, tally: StatusTally
) -> None:
    request = data.draw(query_target.messages.of(rpc.request), label="request")
    await _query(query_target, rpc, request, "messages", tally)


@pytest.mark.parametrize("rpc", RPCS, ids=lambda rpc: rpc.method)
@fuzz_settings()
@given(data=st.data())
async def test_random_bytes_as_a_query_are_never_answered_unknown_or_internal(
    rpc: Rpc, data: st.DataObject, query_target: QueryTarget, tally: StatusTally
) -> None:
    body = data.draw(query_target.messages.raw(rpc.request), label="body")
    await _query(query_target, rpc, body, "bytes", tally)


async def test_the_read_service_still_answers_queries_after_the_fuzzing(
    query_target: QueryTarget,
) -> None:
    assert await serving(query_target.service.channel)
    response = await query_target.service.stub.ListOrders(
        query_service_pb2.ListOrdersRequest(page_size=5)
    )
    assert len(response.orders) == 5
