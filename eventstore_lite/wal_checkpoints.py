"""Moving the WAL's checkpoints off the event loop, onto a thread of their own.

SQLite's automatic checkpoint runs inside whichever COMMIT crosses the WAL's size limit, and
copies the WAL into the database with an fsync: about 20 ms, every few hundred appends, with
the event loop (and every call in flight) stopped. A PASSIVE checkpoint from another connection
never blocks the writer, and the sqlite3 module releases the GIL while it works. Durability is
unchanged: commits still reach the WAL before they are acknowledged.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Final

import structlog

INTERVAL_SECONDS: Final = 0.5

_log = structlog.get_logger("eventstore_lite")


class WalCheckpointer:
    """Checkpoints the database at `path` every `interval` seconds until `stop()`."""

    def __init__(self, path: str, interval: float = INTERVAL_SECONDS) -> None:
        self._path = path
        self._interval = interval
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoints", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop after one last checkpoint, which leaves the WAL empty."""
        self._stopping.set()
        self._thread.join()

    def _run(self) -> None:
        connection = sqlite3.connect(self._path, isolation_level=None)
        try:
            while not self._stopping.wait(self._interval):
                self._checkpoint(connection, "PASSIVE")
            self._checkpoint(connection, "TRUNCATE")
        finally:
            connection.close()

    @staticmethod
    def _checkpoint(connection: sqlite3.Connection, mode: str) -> None:
        # A failed round is retried at the next one; a thread that died here would let the WAL
        # grow without bound.
        try:
            connection.execute(f"PRAGMA wal_checkpoint({mode})")
        except sqlite3.Error as error:
            _log.warning("wal checkpoint failed", mode=mode, error=str(error))
