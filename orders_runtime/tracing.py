"""OpenTelemetry traces of one process, exported over OTLP/gRPC, and W3C trace context in text.

Off unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set: then ``tracer`` is None and no layer or span
is made at all. The composition root makes one ``Tracing`` and passes its tracer down; the
provider is never installed as the library's global one, so tests can run several services in
one process, each exporting as itself.

The one trace of a command: the caller's ``traceparent`` metadata is the parent of the write
service's call span; that span's context is stored in the metadata of every event the command
appends (``EventMetadata.traceparent``); the projector's batch span links to the context of
every event it contains; and a query that waits for the command's consistency token, called
with the caller's ``traceparent``, is in the same trace as the command.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from opentelemetry import trace

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

TRACEPARENT_HEADER: Final = "traceparent"
_TRACEPARENT: Final = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")


@dataclass(frozen=True, slots=True)
class Tracing:
    """The process's tracer (None: tracing is off) and the provider that exports its spans."""

    provider: TracerProvider | None = None

    @property
    def tracer(self) -> trace.Tracer | None:
        return None if self.provider is None else self.provider.get_tracer("orders")

    def shutdown(self) -> None:
        """Export the spans still buffered, then stop."""
        if self.provider is not None:
            self.provider.shutdown()


def start_tracing(endpoint: str, service_name: str) -> Tracing:
    """Tracing exported to the OTLP/gRPC collector at ``endpoint`` (``http://host:4317``; an
    ``https://`` endpoint uses TLS), or off when ``endpoint`` is empty."""
    if not endpoint:
        return Tracing()
    # Imported only when tracing is on: the SDK and its gRPC exporter cost every process about
    # 0.1 CPU-second to import, and tracing is off by default.
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(
        resource=Resource.create({"service.name": service_name}), shutdown_on_exit=False
    )
    exporter = OTLPSpanExporter(endpoint=endpoint, insecure=not endpoint.startswith("https://"))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return Tracing(provider)


def current_traceparent() -> str:
    """The W3C ``traceparent`` of the span running now, "" when none is (tracing off)."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return ""
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"


def span_context_of(traceparent: str) -> trace.SpanContext | None:
    """The remote span context a ``traceparent`` names, or None when it names none."""
    found = _TRACEPARENT.fullmatch(traceparent)
    if found is None:
        return None
    trace_id, span_id = int(found[1], 16), int(found[2], 16)
    if trace_id == 0 or span_id == 0:
        return None
    return trace.SpanContext(
        trace_id, span_id, is_remote=True, trace_flags=trace.TraceFlags(int(found[3], 16))
    )
