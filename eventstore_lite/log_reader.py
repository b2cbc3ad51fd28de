"""Indexed queries over the events table: stream pages and `$all` pages."""

from __future__ import annotations

import sqlite3
import uuid

from eventstore_lite.records import RecordedEvent

NO_LIMIT = 2**62
_COLUMNS = "stream_name, revision, position, event_id, type, data, metadata, content_type, created"
_STREAM_FORWARDS = (
    f"SELECT {_COLUMNS} FROM events WHERE stream_name = ? AND revision >= ?"
    " ORDER BY revision LIMIT ?"
)
_STREAM_BACKWARDS = (
    f"SELECT {_COLUMNS} FROM events WHERE stream_name = ? AND revision <= ? AND revision >= ?"
    " ORDER BY revision DESC LIMIT ?"
)
_ALL_FORWARDS = f"SELECT {_COLUMNS} FROM events WHERE position >= ? ORDER BY position LIMIT ?"
_ALL_BACKWARDS = f"SELECT {_COLUMNS} FROM events WHERE position < ? ORDER BY position DESC LIMIT ?"


def _to_event(row: tuple[str, int, int, bytes, str, bytes, bytes, str, int]) -> RecordedEvent:
    return RecordedEvent(
        row[0], row[1], row[2], uuid.UUID(bytes=row[3]), row[4], row[5], row[6], row[7], row[8]
    )


def stream_forwards(
    connection: sqlite3.Connection, stream_name: str, from_revision: int, limit: int
) -> list[RecordedEvent]:
    params = (stream_name, from_revision, min(limit, NO_LIMIT))
    return [_to_event(r) for r in connection.execute(_STREAM_FORWARDS, params)]


def stream_backwards(
    connection: sqlite3.Connection, stream_name: str, top: int, bottom: int, limit: int
) -> list[RecordedEvent]:
    params = (stream_name, top, bottom, min(limit, NO_LIMIT))
    return [_to_event(r) for r in connection.execute(_STREAM_BACKWARDS, params)]


def all_forwards(
    connection: sqlite3.Connection, from_position: int, limit: int
) -> list[RecordedEvent]:
    params = (from_position, min(limit, NO_LIMIT))
    return [_to_event(r) for r in connection.execute(_ALL_FORWARDS, params)]


def all_backwards(connection: sqlite3.Connection, before: int, limit: int) -> list[RecordedEvent]:
    params = (before, min(limit, NO_LIMIT))
    return [_to_event(r) for r in connection.execute(_ALL_BACKWARDS, params)]
