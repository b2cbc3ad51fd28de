"""A process's metrics and traces together, as its composition root starts and stops them."""

from __future__ import annotations

from dataclasses import dataclass

from opentelemetry import trace
from prometheus_client import CollectorRegistry

from orders_runtime.call_chain import Interceptor
from orders_runtime.metrics import MetricsEndpoint, process_registry, serve_metrics
from orders_runtime.metrics_rpc import RpcMetrics
from orders_runtime.tracing import Tracing, start_tracing
from orders_runtime.tracing_rpc import RpcTracing


@dataclass(slots=True)
class Telemetry:
    registry: CollectorRegistry
    tracing: Tracing
    tracer: trace.Tracer | None
    endpoint: MetricsEndpoint

    def observers(self) -> list[Interceptor]:
        """The chain's observers layers: the call's span (outermost, so the metrics layer's
        time is in it), then its metrics."""
        tracing: list[Interceptor] = [] if self.tracer is None else [RpcTracing(self.tracer)]
        return [*tracing, RpcMetrics(self.registry)]

    def close(self) -> None:
        self.endpoint.close()
        self.tracing.shutdown()


def start_telemetry(
    service_name: str, *, metrics_host: str, metrics_port: int, otlp_endpoint: str
) -> Telemetry:
    """The process's registry served on ``metrics_port`` (0: not served) and its tracing
    (exported to ``otlp_endpoint``; "": off). Raises OSError when the port is taken."""
    registry = process_registry()
    tracing = start_tracing(otlp_endpoint, service_name)
    endpoint = serve_metrics(registry, metrics_host, metrics_port)
    return Telemetry(registry, tracing, tracing.tracer, endpoint)
