"""Every CommandService RPC under extreme and random requests: never UNKNOWN or INTERNAL, and a
refused command appends nothing (the commands run one at a time, so $all's head can tell)."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf.message import Message
from hypothesis import given
from hypothesis import strategies as st

from orders.v1 import command_service_pb2
from tests.fuzz.fuzz_targets import CommandTarget, serving
from tests.fuzz.raw_rpc import Rpc, rpcs_of
from tests.fuzz.status_tally import StatusTally
from tests.fuzz.verdicts import assert_not_unknown_or_internal, fuzz_settings, shown
from tests.write_service import rpc_calls

pytestmark = pytest.mark.asyncio(loop_scope="module")

RPCS = rpcs_of(command_service_pb2.DESCRIPTOR.services_by_name["CommandService"])
TARGET = "CommandService"
# A timed-out or unavailable command may still have been appended (the store answered late):
# its outcome is unknown, not refused, which is why callers retry it with the same key.
OUTCOME_UNKNOWN_OR_OK = (
    grpc.StatusCode.OK,
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
)


async def _command(
    target: CommandTarget, rpc: Rpc, request: Message | bytes, kind: str, tally: StatusTally
) -> None:
    body = request if isinstance(request, bytes) else request.SerializeToString()
    before = target.last_head
    answer = await target.raw.send(rpc, [body])
    after = await target.head()
    tally.add(TARGET, kind, answer.label)
    assert_not_unknown_or_internal(rpc, answer, request)
    if answer.code not in OUTCOME_UNKNOWN_OR_OK:
        assert after == before, (
            f"{rpc.name} was refused with {answer.label} but $all moved from {before} to "
            f"{after}: {shown(request)}"
        )


@pytest.mark.parametrize("rpc", RPCS, ids=lambda rpc: rpc.method)
@fuzz_settings()
@given(data=st.data())
async def test_extreme_well_formed_commands_are_answered_cleanly_and_refusals_append_nothing(
    rpc: Rpc, data: st.DataObject, command_target: CommandTarget, tally: StatusTally
) -> None:
    request = data.draw(command_target.messages.of(rpc.request), label="request")
    await _command(command_target, rpc, request, "messages", tally)


@pytest.mark.parametrize("rpc", RPCS, ids=lambda rpc: rpc.method)
@fuzz_settings()
@given(data=st.data())
async def test_random_bytes_as_a_command_are_answered_cleanly_and_append_nothing(
    rpc: Rpc, data: st.DataObject, command_target: CommandTarget, tally: StatusTally
) -> None:
    body = data.draw(command_target.messages.raw(rpc.request), label="body")
    await _command(command_target, rpc, body, "bytes", tally)


async def test_the_write_service_still_serves_commands_after_the_fuzzing(
    command_target: CommandTarget,
) -> None:
    assert await serving(command_target.service.channel)
    customer = rpc_calls.new_id("c")
    response = await command_target.service.commands.RegisterCustomer(rpc_calls.register(customer))
    assert response.customer_id == customer
    assert await command_target.service.events(f"customer-{customer}")
