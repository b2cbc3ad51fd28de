"""structlog as JSON lines, with per-request context (rpc, correlation id) from contextvars."""

from __future__ import annotations

import logging
import sys

import structlog


def configure_logging(level: str) -> None:
    numeric_level = logging.getLevelNamesMapping()[level]
    logging.basicConfig(format="%(message)s", stream=sys.stderr, level=numeric_level, force=True)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
