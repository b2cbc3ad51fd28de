"""Checkpoints happen on their own thread: appends commit to the WAL and never copy it back."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

from eventstore_lite.records import ProposedEvent, StreamState
from eventstore_lite.storage import DATABASE_FILE, EventStorage
from tests.waiting import wait_until_blocking


def append_many(storage: EventStorage, count: int) -> None:
    for _ in range(count):
        event = ProposedEvent(uuid.uuid4(), "Happened", b"{}", b"", "application/json")
        storage.append("s", StreamState.ANY, [event])


def events_in_database_file(data_dir: Path) -> int:
    # immutable=1 reads the database file alone, ignoring the WAL: what checkpoints copied.
    uri = f"file:{data_dir / DATABASE_FILE}?mode=ro&immutable=1"
    connection = sqlite3.connect(uri, uri=True)
    try:
        count: int = connection.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    except sqlite3.OperationalError:
        return 0  # not even the schema has been copied yet
    finally:
        connection.close()
    return count


def test_an_append_never_checkpoints_in_its_own_commit(tmp_path: Path) -> None:
    storage = EventStorage(tmp_path)
    try:
        (setting,) = storage.connection.execute("PRAGMA wal_autocheckpoint").fetchone()
    finally:
        storage.close()

    assert setting == 0


def test_the_checkpoint_thread_copies_appended_events_into_the_database_file(
    tmp_path: Path,
) -> None:
    storage = EventStorage(tmp_path)
    try:
        append_many(storage, 200)
        wait_until_blocking(
            lambda: events_in_database_file(tmp_path) >= 201, "a checkpoint of every event"
        )
        copied = events_in_database_file(tmp_path)
    finally:
        storage.close()

    assert copied == 201  # the 200 appended and the log's first system event


def test_closing_leaves_no_wal_behind_and_every_event_in_the_database_file(
    tmp_path: Path,
) -> None:
    storage = EventStorage(tmp_path)
    append_many(storage, 50)
    storage.close()

    wal = tmp_path / f"{DATABASE_FILE}-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    assert events_in_database_file(tmp_path) == 51
