"""The log format every process shares: JSON lines on stderr, one object per event.

Each call's rpc name and correlation id come from the call's labels (``add_call_labels``), any
other context (the trace id, an order id) from structlog's contextvars. Records
of the standard library's loggers (asyncio, pymongo, grpc) are rendered as JSON too, so every
line parses and one log pipeline reads every process alike.
"""

from __future__ import annotations

import logging
import sys

import structlog
from opentelemetry import trace
from structlog.typing import EventDict, Processor, WrappedLogger

from orders_runtime.correlation import add_call_labels
from orders_runtime.setting_types import LogLevelName


def add_trace_id(logger: WrappedLogger, method: str, event_dict: EventDict) -> EventDict:
    """The trace and span id of the span running now, so a log line leads to its trace."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict.setdefault("trace_id", f"{context.trace_id:032x}")
        event_dict.setdefault("span_id", f"{context.span_id:016x}")
    return event_dict


_SHARED: list[Processor] = [
    add_call_labels,
    structlog.contextvars.merge_contextvars,
    add_trace_id,
    structlog.processors.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_logging(level: LogLevelName) -> None:
    numeric_level = logging.getLevelNamesMapping()[level]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processor=structlog.processors.JSONRenderer(),
            foreign_pre_chain=[*_SHARED, structlog.stdlib.add_logger_name],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(numeric_level)
    # Library debug output (driver heartbeats, event-loop internals) is a firehose; their
    # warnings still come through.
    for library in ("pymongo", "asyncio", "grpc"):
        logging.getLogger(library).setLevel(max(numeric_level, logging.INFO))
    structlog.configure(
        processors=[
            *_SHARED,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
