"""The chain's tracing layer: one server span per call, the child of the caller's ``traceparent``.

It sits in the observers slot, inside the correlation id (which it records on the span) and
outside the error status, so the span ends with the code the caller gets. The span is the
current one while the servicer runs: the write service copies it into the events' metadata, and
every log line of the call carries its trace id (``orders_runtime.logs``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import grpc
import structlog
from opentelemetry import trace
from opentelemetry.context import Context as TraceContext
from opentelemetry.trace import NonRecordingSpan, SpanKind, Status, StatusCode

from orders_runtime.request_log import code_after
from orders_runtime.tracing import TRACEPARENT_HEADER, span_context_of

if TYPE_CHECKING:
    from orders_runtime.call_chain import Call, Context, Handle


class RpcTracing:
    def __init__(self, tracer: trace.Tracer) -> None:
        self._tracer = tracer

    def wrap(self, inner: Handle) -> Handle:
        async def handle(request: Any, context: Context, call: Call) -> Any:
            parent = _caller_context(context.invocation_metadata())
            service = call.method.split("/", 2)[1]
            with self._tracer.start_as_current_span(
                call.method.lstrip("/"),
                context=parent,
                kind=SpanKind.SERVER,
                attributes={
                    "rpc.system": "grpc",
                    "rpc.service": service,
                    "rpc.method": call.rpc,
                    "orders.correlation_id": call.correlation_id,
                },
                record_exception=False,
                set_status_on_exception=False,
            ) as span:
                # Left bound when the call ends: the request log's line, written after this
                # layer returns, carries it too, and the call's task context ends with the call.
                structlog.contextvars.bind_contextvars(
                    trace_id=f"{span.get_span_context().trace_id:032x}"
                )
                try:
                    response = await inner(request, context, call)
                except BaseException as error:
                    _end(span, call, code_after(call, error))
                    raise
                _end(span, call, context.code() or grpc.StatusCode.OK)
                return response

        return handle


def _caller_context(metadata: Iterable[tuple[str, str | bytes]] | None) -> TraceContext | None:
    for key, value in metadata or ():
        if key == TRACEPARENT_HEADER and isinstance(value, str):
            remote = span_context_of(value.strip())
            if remote is not None:
                return trace.set_span_in_context(NonRecordingSpan(remote))
            break
    return None


def _end(span: trace.Span, call: Call, code: grpc.StatusCode) -> None:
    span.set_attribute("rpc.grpc.status_code", code.value[0])
    if call.reason:
        span.set_attribute("orders.reason", call.reason)
    # As the semantic conventions say for servers: only codes that mean the server failed.
    if code in (
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DATA_LOSS,
    ):
        span.set_status(Status(StatusCode.ERROR, code.name))
