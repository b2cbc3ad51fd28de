"""The SQLite schema of the event log. Persistent-subscription tables (prefix `ps_`) live in
the same file but are owned by `eventstore_lite.persistent`."""

from __future__ import annotations

import sqlite3
from typing import Final

# SQLite's page cache per connection, in KiB (64 MiB). It fills as the log is read and only
# then stays flat, so a short run sees it grow (EVENTSTORE_LITE_PAGE_CACHE_KIB bounds it).
DEFAULT_PAGE_CACHE_KIB: Final = 65536

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY,
    stream_name TEXT NOT NULL,
    revision INTEGER NOT NULL,
    event_id BLOB NOT NULL,
    type TEXT NOT NULL,
    content_type TEXT NOT NULL,
    data BLOB NOT NULL,
    metadata BLOB NOT NULL,
    created INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_by_stream ON events (stream_name, revision);
CREATE INDEX IF NOT EXISTS events_by_id ON events (event_id);
CREATE TABLE IF NOT EXISTS streams (
    name TEXT PRIMARY KEY,
    last_revision INTEGER NOT NULL,
    truncate_before INTEGER NOT NULL DEFAULT 0,
    tombstoned INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
"""


def open_database(path: str, page_cache_kib: int = DEFAULT_PAGE_CACHE_KIB) -> sqlite3.Connection:
    # Autocommit mode: every write path opens its own BEGIN IMMEDIATE ... COMMIT.
    connection = sqlite3.connect(path, isolation_level=None, cached_statements=256)
    # WAL + synchronous=NORMAL: a committed transaction survives the death of this process
    # (the OS has the pages); only a power cut can lose the last commits.
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    # Checkpoints run on their own thread (wal_checkpoints.py), never inside an append's COMMIT.
    connection.execute("PRAGMA wal_autocheckpoint=0")
    connection.execute("PRAGMA temp_store=MEMORY")
    # A negative cache_size counts KiB, not pages.
    connection.execute(f"PRAGMA cache_size=-{int(page_cache_kib)}")
    connection.executescript(SCHEMA)
    return connection
