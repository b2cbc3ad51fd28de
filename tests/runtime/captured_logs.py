"""structlog's output during a test, as the event dictionaries the JSON renderer would get."""

from __future__ import annotations

import logging
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

import structlog
from structlog.testing import LogCapture

from orders_runtime.correlation import add_call_labels

LogLine = MutableMapping[str, Any]


@contextmanager
def captured_logs(level: int = logging.DEBUG) -> Iterator[list[LogLine]]:
    """Every line logged inside at ``level`` or above, with the call's context variables and
    stack traces rendered as the processes render them; the configuration before is restored
    after."""
    capture = LogCapture()
    before = structlog.get_config()
    structlog.configure(
        processors=[
            add_call_labels,
            structlog.contextvars.merge_contextvars,
            structlog.processors.format_exc_info,
            capture,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=False,
    )
    try:
        yield capture.entries
    finally:
        structlog.configure(**before)


def request_lines(lines: list[LogLine]) -> list[LogLine]:
    """The request log's lines among them."""
    return [line for line in lines if line["event"] == "rpc finished"]
