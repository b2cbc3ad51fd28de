"""Building blocks of the append scenarios: events to append, and a store that stops answering."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator

from kurrentdbclient import NewEvent

from eventstore_lite.testing import EventStoreProcess


def events(count: int = 1, size: int = 16) -> list[NewEvent]:
    return [NewEvent(type="AppendTested", data=b"x" * size) for _ in range(count)]


@contextlib.contextmanager
def paused(store: EventStoreProcess) -> Iterator[None]:
    """The store keeps its connections open but answers nothing (SIGSTOP) until the end."""
    assert store.pid is not None
    os.kill(store.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(store.pid, signal.SIGCONT)
