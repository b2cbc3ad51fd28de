"""One command followed by its trace: from the caller's traceparent through the write service's
span, into the event's metadata, to the projector's batch span that links to it, and to the
read that waited for it, all received over OTLP/gRPC by a stand-in collector."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import grpc
import pytest
from kurrentdbclient import KurrentDBClient

from tests.operations.observed_stack import ObservedStack, observed_stack
from tests.operations.otlp_receiver import ReceivedSpan, TraceCollector, otlp_receiver
from tests.operations.workload import Clients, place, read_waiting, register

# Starts server processes in its tests' bodies (not `make test-unit`).
pytestmark = pytest.mark.servers

PLACE_ORDER = "orders.v1.CommandService/PlaceOrder"
GET_SUMMARY = "orders.v1.QueryService/GetOrderSummary"


@pytest.fixture(scope="module")
def traced(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ObservedStack, TraceCollector]]:
    with otlp_receiver() as (collector, endpoint):
        # Spans leave each process a tenth of a second after they end, not the SDK's 5 s.
        environment = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100"}
        with observed_stack(tmp_path_factory.mktemp("traced"), environment) as stack:
            yield stack, collector


def _one(spans: list[ReceivedSpan], service: str, name: str, trace_id: str) -> ReceivedSpan:
    found = [s for s in spans if (s.service, s.span.name, s.trace_id) == (service, name, trace_id)]
    assert len(found) == 1, found
    return found[0]


def test_one_command_is_followed_from_the_caller_through_the_projector_to_a_waiting_read(
    traced: tuple[ObservedStack, TraceCollector],
) -> None:
    stack, collector = traced
    trace_id, caller_span = os.urandom(16).hex(), os.urandom(8).hex()
    caller = (("traceparent", f"00-{trace_id}-{caller_span}-01"),)
    with (
        grpc.insecure_channel(stack.write_address) as write,
        grpc.insecure_channel(stack.read_address) as read,
    ):
        clients = Clients.on(write, read)
        placed = place(clients, register(clients), metadata=caller)
        read_waiting(clients, placed.order_id, placed.consistency_token, metadata=caller)

    def in_trace(service: str, name: str) -> bool:
        return any(
            (s.service, s.span.name, s.trace_id) == (service, name, trace_id)
            for s in collector.spans()
        )

    collector.wait_for("command span", lambda _: in_trace("write_service", PLACE_ORDER))
    command = _one(collector.spans(), "write_service", PLACE_ORDER, trace_id)
    assert command.parent_span_id == caller_span
    assert command.attribute("rpc.grpc.status_code") == 0

    stored = KurrentDBClient(stack.settings.eventstore_uri).get_stream(f"order-{placed.order_id}")
    assert json.loads(stored[0].metadata)["traceparent"] == (f"00-{trace_id}-{command.span_id}-01")

    def batch_linked(spans: list[ReceivedSpan]) -> bool:
        return any(
            s.service == "projector"
            and s.span.name == "projector batch"
            and any(
                (link.trace_id.hex(), link.span_id.hex()) == (trace_id, command.span_id)
                for link in s.span.links
            )
            for s in spans
        )

    collector.wait_for("batch span linked to the command", batch_linked)

    collector.wait_for("waiting read's spans", lambda _: in_trace("read_service", GET_SUMMARY))
    query = _one(collector.spans(), "read_service", GET_SUMMARY, trace_id)
    assert query.parent_span_id == caller_span
    collector.wait_for("wait span", lambda _: in_trace("read_service", "wait for projection"))
    waited = _one(collector.spans(), "read_service", "wait for projection", trace_id)
    assert waited.parent_span_id == query.span_id
    assert waited.attribute("orders.reached") is True


def test_a_call_without_a_traceparent_starts_a_trace_that_its_log_line_names(
    traced: tuple[ObservedStack, TraceCollector],
) -> None:
    stack, collector = traced
    with (
        grpc.insecure_channel(stack.write_address) as write,
        grpc.insecure_channel(stack.read_address) as read,
    ):
        placed = place(Clients.on(write, read), register(Clients.on(write, read)))
    stored = KurrentDBClient(stack.settings.eventstore_uri).get_stream(f"order-{placed.order_id}")
    _, trace_id, span_id, _ = json.loads(stored[0].metadata)["traceparent"].split("-")

    def command_span(spans: list[ReceivedSpan]) -> bool:
        return any(s.trace_id == trace_id and s.span_id == span_id for s in spans)

    collector.wait_for("the command's span", command_span)
    span = next(s for s in collector.spans() if s.span_id == span_id)
    assert (span.service, span.span.name, span.parent_span_id) == ("write_service", PLACE_ORDER, "")
    logged = [json.loads(line) for line in stack.log("write_service").splitlines() if "{" in line]
    finished = [
        line
        for line in logged
        if line.get("event") == "rpc finished" and line.get("method") == f"/{PLACE_ORDER}"
    ]
    assert trace_id in {line.get("trace_id") for line in finished}
