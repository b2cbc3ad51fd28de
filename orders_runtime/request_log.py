"""One log line per call: its method, status code, duration, and the correlation id and rpc name
from the call's log context. Never the request or response: they may carry personal data.

The level follows the code: OK and the caller's own mistakes are INFO (health and reflection
calls that succeed are DEBUG: probes would drown the rest); a store out of reach is WARNING with
its cause; INTERNAL (a bug, logged with its stack trace), DATA_LOSS and UNKNOWN are ERROR.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any, Final

import grpc
import structlog

if TYPE_CHECKING:
    from orders_runtime.call_chain import Call, Context, Handle

REQUEST_LOGGER: Final = "orders_runtime.requests"
QUIET_SERVICES: Final = frozenset(
    {"grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"}
)
_ALARMING: Final = frozenset(
    {grpc.StatusCode.INTERNAL, grpc.StatusCode.DATA_LOSS, grpc.StatusCode.UNKNOWN}
)
_STACK_WORTHY: Final = frozenset({grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN})


class RequestLog:
    def __init__(self) -> None:
        # Bound now rather than on each call through structlog's lazy proxy: a call whose line
        # the level drops then costs one no-op method call (the proxy took 5 us of every call).
        # So logging is configured before the chain is built, as every composition root does.
        self._log = structlog.get_logger(REQUEST_LOGGER).bind()
        # Where INFO is off (the bench, quiet deployments) a call that succeeds writes no line,
        # so none is built: the fields took as long as the rest of the layer.
        enabled = getattr(self._log, "is_enabled_for", None)
        self._logs_ok = enabled is None or bool(enabled(logging.INFO))

    def wrap(self, inner: Handle) -> Handle:
        async def handle(request: Any, context: Context, call: Call) -> Any:
            started = time.perf_counter()
            try:
                response = await inner(request, context, call)
            except BaseException as error:
                self._write(call, started, code_after(call, error), error)
                raise
            code = context.code() or grpc.StatusCode.OK
            if self._logs_ok or code is not grpc.StatusCode.OK:
                self._write(call, started, code, None)
            return response

        return handle

    def _write(
        self, call: Call, started: float, code: grpc.StatusCode, error: BaseException | None
    ) -> None:
        fields: dict[str, Any] = {
            "method": call.method,
            "code": code.name,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        }
        if code is grpc.StatusCode.OK:
            quiet = call.method.split("/", 2)[1] in QUIET_SERVICES
            (self._log.debug if quiet else self._log.info)("rpc finished", **fields)
            return
        failure = call.failure or error
        if call.reason:
            fields["reason"] = call.reason
        details = call.context.details()
        if details:
            fields["message"] = details
        if code in _STACK_WORTHY:
            self._log.error("rpc finished", exc_info=failure, **fields)
        elif code in _ALARMING:
            self._log.error("rpc finished", error=str(failure), **fields)
        elif code is grpc.StatusCode.UNAVAILABLE:
            # The status message hides the cause (it names internal hosts); the log has it.
            self._log.warning("rpc finished", error=repr(failure), **fields)
        else:
            self._log.info("rpc finished", **fields)


def code_after(call: Call, error: BaseException) -> grpc.StatusCode:
    """The code the caller gets for a call that ended with ``error`` (the observers need it too)."""
    code = call.context.code()
    if isinstance(error, grpc.aio.AbortError) and code is not None:
        return code
    remaining = call.context.time_remaining()
    if remaining is not None and remaining <= 0:
        # The caller's deadline passed first, and that is what the caller saw: grpc cancels
        # the call, or refuses an abort sent after it (a UsageError).
        return grpc.StatusCode.DEADLINE_EXCEEDED
    if isinstance(error, asyncio.CancelledError | GeneratorExit):
        # grpc cancels a call whose caller went away.
        return grpc.StatusCode.CANCELLED
    # Only a chain without the error status lets an exception through: grpc answers UNKNOWN.
    return grpc.StatusCode.UNKNOWN
