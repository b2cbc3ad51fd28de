"""The caller's deadline, for the code that serves the call: how long it may still work.

The chain's ``Deadlines`` layer records when the caller gives up; a handler bounds each call to a
store by ``within_deadline(fixed_timeout)``, so a store that does not answer is given up on while
the caller still waits for the answer (a google.rpc.Status with its reason) rather than after it
stopped listening.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from orders_runtime.call_chain import Call, Context, Handle

# time.monotonic() at which the caller of the current call gives up; None when it set no deadline.
_GIVES_UP: ContextVar[float | None] = ContextVar("orders_call_deadline", default=None)

# A store call is given up on a margin before the deadline, to answer in: a tenth of the time
# left, at least 50 ms, at most 250 ms, and never more than half of what is left.
_MARGIN_SHARE: Final = 0.1
_MARGIN_FLOOR: Final = 0.05
_MARGIN_CEILING: Final = 0.25
# Never hand a store a budget of 0: some clients read a zero timeout as none at all.
_SHORTEST: Final = 0.001


def time_remaining() -> float | None:
    """Seconds until the current call's caller gives up (0 once it has), None without a deadline."""
    gives_up = _GIVES_UP.get()
    if gives_up is None:
        return None
    return max(0.0, gives_up - time.monotonic())


def within_deadline(timeout: float) -> float:
    """``timeout``, cut short so that the call can still answer before its caller gives up."""
    return budget(timeout, time_remaining())


def budget(timeout: float, remaining: float | None) -> float:
    """What a store call may take of ``remaining`` seconds (None: no deadline), at most
    ``timeout``, keeping the margin to answer in."""
    if remaining is None:
        return timeout
    margin = min(max(remaining * _MARGIN_SHARE, _MARGIN_FLOOR), _MARGIN_CEILING, remaining / 2)
    return max(_SHORTEST, min(timeout, remaining - margin))


class Deadlines:
    """The chain's layer that makes the caller's deadline known to the code serving the call."""

    def wrap(self, inner: Handle) -> Handle:
        async def handle(request: Any, context: Context, call: Call) -> Any:
            remaining = context.time_remaining()
            token = _GIVES_UP.set(None if remaining is None else time.monotonic() + remaining)
            try:
                return await inner(request, context, call)
            finally:
                _GIVES_UP.reset(token)

        return handle
