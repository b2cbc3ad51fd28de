"""eventstore_lite's own gRPC services (Streams, PersistentSubscriptions, Gossip) under extreme
and random requests, streamed as the official client streams them: never UNKNOWN or INTERNAL
(bar the real server's documented INTERNAL for a failed persistent subscription), never a
per-batch UNKNOWN or INTERNAL inside a BatchAppend answer, and never a dead server."""

from __future__ import annotations

import uuid

import grpc
import pytest
from google.protobuf.message import Message
from hypothesis import given
from hypothesis import strategies as st
from kurrentdbclient import NewEvent, StreamState
from kurrentdbclient.protos.v1 import (
    gossip_pb2,
    gossip_pb2_grpc,
    persistent_pb2,
    shared_pb2,
    streams_pb2,
)

from tests.fuzz.fuzz_targets import EventStoreTarget
from tests.fuzz.message_strategies import MessageStrategies
from tests.fuzz.raw_rpc import Answer, Rpc, rpcs_of
from tests.fuzz.status_tally import StatusTally
from tests.fuzz.verdicts import FORBIDDEN, assert_not_unknown_or_internal, fuzz_settings, shown

pytestmark = pytest.mark.asyncio(loop_scope="module")

RPCS = [
    *rpcs_of(streams_pb2.DESCRIPTOR.services_by_name["Streams"]),
    *rpcs_of(persistent_pb2.DESCRIPTOR.services_by_name["PersistentSubscriptions"]),
    *rpcs_of(gossip_pb2.DESCRIPTOR.services_by_name["Gossip"]),
]
TARGET = "eventstore_lite"
# KurrentDB answers a persistent subscription it cannot create or update (a bad stream name, a
# start position past the end) with INTERNAL and this `exception` trailer; the official client
# turns exactly that into its own exception, so eventstore_lite must answer the same.
PROTOCOL_INTERNAL = "persistent-subscription-failed"


def _options_first(requests: list[Message], options: Message | None) -> list[Message]:
    """The official client opens every client stream with the call's options."""
    if options is not None:
        requests[0].options.CopyFrom(options)  # type: ignore[attr-defined]
    return requests


def _requests(messages: MessageStrategies, rpc: Rpc) -> st.SearchStrategy[list[Message]]:
    one = messages.of(rpc.request)
    if not rpc.client_streaming:
        return one.map(lambda message: [message])
    options = rpc.request.fields_by_name["options"].message_type
    assert options is not None
    return st.builds(
        _options_first,
        st.lists(one, min_size=1, max_size=4),
        st.none() | messages.of(options),
    )


def _check(rpc: Rpc, answer: Answer, shown_request: Message | bytes) -> None:
    if (
        answer.code == grpc.StatusCode.INTERNAL
        and rpc.service.endswith("PersistentSubscriptions")
        and answer.trailer("exception") == PROTOCOL_INTERNAL
    ):
        return
    assert_not_unknown_or_internal(rpc, answer, shown_request)
    if rpc.name == "Streams/BatchAppend":
        for body in answer.responses:
            result = streams_pb2.BatchAppendResp.FromString(body)
            if result.WhichOneof("result") == "error":
                assert result.error.code not in {code.value[0] for code in FORBIDDEN}, (
                    f"BatchAppend answered a batch with status {result.error.code} "
                    f"({result.error.message[:200]!r}) to {shown(shown_request)}"
                )


def _label(rpc: Rpc, answer: Answer) -> str:
    if answer.code == grpc.StatusCode.INTERNAL and answer.trailer("exception") == PROTOCOL_INTERNAL:
        return f"INTERNAL ({PROTOCOL_INTERNAL})"
    return answer.label


async def _call(
    target: EventStoreTarget,
    rpc: Rpc,
    bodies: list[bytes],
    shown_request: Message | bytes,
    kind: str,
    tally: StatusTally,
) -> None:
    answer = await target.raw.send(rpc, bodies)
    tally.add(TARGET, kind, _label(rpc, answer))
    _check(rpc, answer, shown_request)
    assert target.alive(), f"the event store died answering {rpc.name} {shown(shown_request)}"


@pytest.mark.parametrize("rpc", RPCS, ids=lambda rpc: rpc.name)
@fuzz_settings()
@given(data=st.data())
async def test_extreme_well_formed_requests_get_the_real_servers_answers(
    rpc: Rpc, data: st.DataObject, eventstore_target: EventStoreTarget, tally: StatusTally
) -> None:
    requests = data.draw(_requests(eventstore_target.messages, rpc), label="requests")
    bodies = [request.SerializeToString() for request in requests]
    await _call(eventstore_target, rpc, bodies, requests[0], "messages", tally)


@pytest.mark.parametrize("rpc", RPCS, ids=lambda rpc: rpc.name)
@fuzz_settings()
@given(data=st.data())
async def test_random_bytes_as_requests_are_never_answered_unknown_or_internal(
    rpc: Rpc, data: st.DataObject, eventstore_target: EventStoreTarget, tally: StatusTally
) -> None:
    count = data.draw(st.integers(1, 3) if rpc.client_streaming else st.just(1), label="count")
    raw = eventstore_target.messages.raw(rpc.request)
    bodies = data.draw(st.lists(raw, min_size=count, max_size=count), label="bodies")
    await _call(eventstore_target, rpc, bodies, bodies[0], "bytes", tally)


async def test_the_event_store_still_appends_reads_and_gossips_after_the_fuzzing(
    eventstore_target: EventStoreTarget,
) -> None:
    assert eventstore_target.alive()
    client = eventstore_target.client
    stream = f"after-fuzz-{uuid.uuid4().hex[:8]}"
    event = NewEvent(type="Checked", data=b"{}")
    await client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=[event])
    assert [e.type for e in await client.get_stream(stream)] == ["Checked"]
    address = f"127.0.0.1:{eventstore_target.process.port}"
    async with grpc.aio.insecure_channel(address) as channel:
        gossip = gossip_pb2_grpc.GossipStub(channel)  # type: ignore[no-untyped-call]
        info = await gossip.Read(shared_pb2.Empty())
    assert info.members
