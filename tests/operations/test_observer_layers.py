"""The observers layers on the runtime's tiny chain service: calls counted and timed by the code
the caller got, a server span per call under the caller's traceparent, /metrics served."""

from __future__ import annotations

import os
import urllib.request

import grpc
import pytest
from google.protobuf.wrappers_pb2 import StringValue
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from prometheus_client import CollectorRegistry

from orders_runtime.metrics import serve_metrics
from orders_runtime.metrics_rpc import RpcMetrics
from orders_runtime.tracing import span_context_of
from orders_runtime.tracing_rpc import RpcTracing
from tests.cli.dev_process import free_port
from tests.runtime.chain_servicer import SERVICE, ChainClient, chain_service


async def _code_of(call: object) -> grpc.StatusCode:
    try:
        await call  # type: ignore[misc]
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


async def _calls(client: ChainClient) -> None:
    assert await _code_of(client.unary("CorrelationId")(StringValue())) is grpc.StatusCode.OK
    assert await _code_of(client.unary("CorrelationId")(StringValue())) is grpc.StatusCode.OK
    refused = client.unary("Refuse")(StringValue(value="no"))
    assert await _code_of(refused) is grpc.StatusCode.FAILED_PRECONDITION
    crashed = client.unary("Crash")(StringValue(value=""))
    assert await _code_of(crashed) is grpc.StatusCode.INTERNAL
    assert await _code_of(client.unary("Abort")(StringValue())) is grpc.StatusCode.NOT_FOUND
    assert [r.value async for r in client.stream("Count")(StringValue())] == ["0", "1", "2"]


async def test_every_call_is_counted_and_timed_by_method_and_the_code_the_caller_got() -> None:
    registry = CollectorRegistry()
    async with chain_service(observers=[RpcMetrics(registry)]) as client:
        await _calls(client)

    def calls(method: str, code: str) -> float | None:
        labels = {"service": SERVICE, "method": method, "code": code}
        return registry.get_sample_value("orders_rpc_calls_total", labels)

    assert calls("CorrelationId", "OK") == 2
    assert calls("Refuse", "FAILED_PRECONDITION") == 1
    assert calls("Crash", "INTERNAL") == 1
    assert calls("Abort", "NOT_FOUND") == 1
    assert calls("Count", "OK") == 1
    timed = {"service": SERVICE, "method": "CorrelationId", "code": "OK"}
    assert registry.get_sample_value("orders_rpc_duration_seconds_count", timed) == 2
    took = registry.get_sample_value("orders_rpc_duration_seconds_sum", timed)
    assert took is not None
    assert took > 0


async def test_a_call_is_a_server_span_under_the_callers_traceparent() -> None:
    exported = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exported))
    trace_id, parent = os.urandom(16).hex(), os.urandom(8).hex()
    caller = (("traceparent", f"00-{trace_id}-{parent}-01"),)
    async with chain_service(observers=[RpcTracing(provider.get_tracer("test"))]) as client:
        await client.unary("CorrelationId")(StringValue(), metadata=caller)
        await _code_of(client.unary("Crash")(StringValue(value=""), metadata=caller))
        unrelated = (("traceparent", "00-not-a-trace-context"),)
        await client.unary("CorrelationId")(StringValue(), metadata=unrelated)

    answered, crashed, alone = exported.get_finished_spans()
    for span in (answered, crashed):
        assert span.kind is SpanKind.SERVER
        assert f"{span.context.trace_id:032x}" == trace_id
        assert span.parent is not None
        assert f"{span.parent.span_id:016x}" == parent
    assert answered.name == f"{SERVICE}/CorrelationId"
    assert answered.attributes is not None
    assert answered.attributes["rpc.grpc.status_code"] == 0
    assert answered.attributes["orders.correlation_id"]
    assert crashed.status.status_code is StatusCode.ERROR
    assert crashed.attributes is not None
    assert crashed.attributes["orders.reason"] == "INTERNAL_ERROR"
    # A traceparent that does not parse starts a trace of its own rather than failing the call.
    assert alone.parent is None
    assert f"{alone.context.trace_id:032x}" != trace_id


@pytest.mark.parametrize(
    "text",
    [
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "",
    ],
    ids=["zero trace id", "zero span id", "malformed", "upper case", "empty"],
)
def test_a_traceparent_that_names_no_span_gives_no_context(text: str) -> None:
    assert span_context_of(text) is None


def test_a_traceparent_names_its_trace_and_span() -> None:
    context = span_context_of("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    assert context is not None
    assert (context.trace_id, context.span_id) == (
        0x4BF92F3577B34DA6A3CE929D0E0E4736,
        0x00F067AA0BA902B7,
    )
    assert context.is_remote


def test_the_registry_is_served_at_metrics_and_a_taken_port_is_refused() -> None:
    registry = CollectorRegistry()
    RpcMetrics(registry)
    endpoint = serve_metrics(registry, "127.0.0.1", free_port())
    try:
        url = f"http://127.0.0.1:{endpoint.port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as response:
            text = response.read().decode()
        assert "# TYPE orders_rpc_calls_total counter" in text
        assert "# TYPE orders_rpc_duration_seconds histogram" in text
        with pytest.raises(OSError, match="in use"):
            serve_metrics(registry, "127.0.0.1", endpoint.port)
    finally:
        endpoint.close()
    assert serve_metrics(registry, "127.0.0.1", 0).port == 0
