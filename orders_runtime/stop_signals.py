"""How a composition root learns that it should stop: SIGTERM (orchestrators) or SIGINT (Ctrl-C)."""

from __future__ import annotations

import asyncio
import signal


def stop_requested() -> asyncio.Event:
    """An event set by the first SIGTERM or SIGINT the process receives from now on."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    return stop
