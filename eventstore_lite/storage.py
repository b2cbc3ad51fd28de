"""The event log on SQLite: one writer, the asyncio event loop's thread.

API contract (stable; `eventstore_lite.persistent` codes against it):
- Every method except `wait_for_append` is synchronous and fast (one SQLite transaction or
  one indexed query); call them from the event-loop thread only (the connection is not
  shared across threads). Never hold a transaction on `connection` across an `await`.
- Positions are 1, 2, 3, ... in append order; commit position == prepare position.
  `head_position()` is 0 while the log is empty. Like the real server, a new database
  starts with one system event (`$metadata` in `$$$scavenges`), so user events start at 2.
- `read_all(from_position, backwards=False)` includes `from_position`; backwards excludes it.
- `read_stream` raises `StreamNotFound` (no visible events) or `StreamDeleted` (tombstoned).
- Soft delete writes `{"$tb": Int64.MaxValue}` to the metadata stream `$$<name>`, as the
  real server does; the next append continues the old numbering and moves `$tb` to its
  first revision. `$all` keeps the old events.
- Link events (`$>`) are stored like any other event; no resolution happens here.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from eventstore_lite.errors import (
    AppendTooLarge,
    StreamDeleted,
    StreamNotFound,
    WrongExpectedRevision,
)
from eventstore_lite.filters import EventFilter
from eventstore_lite.records import (
    DELETED_TRUNCATE_BEFORE,
    JSON_CONTENT_TYPE,
    AppendResult,
    ExpectedRevision,
    ProposedEvent,
    RecordedEvent,
    StreamState,
    expected_as_int,
)
from eventstore_lite.schema import open_database

__all__ = ["EventFilter", "EventStorage", "RecordedEvent"]

DATABASE_FILE = "eventstore.sqlite3"
DEFAULT_MAX_APPEND_SIZE = 1024 * 1024
METADATA_EVENT_TYPE = "$metadata"
_COLUMNS = "stream_name, revision, position, event_id, type, data, metadata, content_type, created"
_INSERT = (
    "INSERT INTO events (position, stream_name, revision, event_id, type, content_type,"
    " data, metadata, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPSERT_STREAM = (
    "INSERT INTO streams (name, last_revision, truncate_before, tombstoned) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (name) DO UPDATE SET last_revision = excluded.last_revision,"
    " truncate_before = excluded.truncate_before, tombstoned = excluded.tombstoned"
)
_SCAN_PAGE = 512


@dataclass(slots=True)
class _Stream:
    last_revision: int
    truncate_before: int
    tombstoned: bool

    @property
    def visible(self) -> bool:
        return 0 <= self.truncate_before <= self.last_revision

    @property
    def soft_deleted(self) -> bool:
        return self.last_revision >= 0 and not self.visible


def _to_event(row: tuple[str, int, int, bytes, str, bytes, bytes, str, int]) -> RecordedEvent:
    return RecordedEvent(
        row[0], row[1], row[2], uuid.UUID(bytes=row[3]), row[4], row[5], row[6], row[7], row[8]
    )


def metadata_stream_of(stream_name: str) -> str:
    return "$$" + stream_name


class EventStorage:
    def __init__(self, data_dir: Path, max_append_size: int = DEFAULT_MAX_APPEND_SIZE) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.connection: sqlite3.Connection = open_database(str(data_dir / DATABASE_FILE))
        self.max_append_size = max_append_size
        self._streams: dict[str, _Stream] = {}
        row = self.connection.execute("SELECT MAX(position) FROM events").fetchone()
        self._head: int = row[0] or 0
        self._appended = asyncio.Event()
        if self._head == 0:
            self._write_initial_system_event()

    def _write_initial_system_event(self) -> None:
        # The real server's $all never starts with a user event; clients (and the official
        # test suite) expect system events there, which default filters then exclude.
        rows, _ = self._metadata_rows("$scavenges", {"$maxAge": 2592000}, 0, time.time_ns() // 100)
        self._commit(rows, {})

    def close(self) -> None:
        self.connection.close()

    def head_position(self) -> int:
        return self._head

    async def wait_for_append(self, after_position: int) -> None:
        while self._head <= after_position:
            await self._appended.wait()

    def _notify(self) -> None:
        appended, self._appended = self._appended, asyncio.Event()
        appended.set()

    # -- stream state -------------------------------------------------------------------

    def _stream(self, name: str) -> _Stream:
        state = self._streams.get(name)
        if state is None:
            row = self.connection.execute(
                "SELECT last_revision, truncate_before, tombstoned FROM streams WHERE name = ?",
                (name,),
            ).fetchone()
            if row is None:
                return _Stream(-1, 0, False)
            state = _Stream(row[0], row[1], bool(row[2]))
            self._streams[name] = state
        return state

    def stream_revision(self, name: str) -> int:
        """The last revision written to the stream, -1 if none (deleted or not)."""
        return self._stream(name).last_revision

    def _check_expected(self, name: str, state: _Stream, expected: ExpectedRevision) -> None:
        last = state.last_revision
        if expected is StreamState.ANY:
            return
        if expected is StreamState.NO_STREAM:
            ok = last == -1 or state.soft_deleted
        elif expected is StreamState.STREAM_EXISTS:
            ok = state.visible
        else:
            ok = expected == last
        if not ok:
            raise WrongExpectedRevision(name, expected_as_int(expected), last)

    # -- writes --------------------------------------------------------------------------

    def append(
        self, stream_name: str, expected: ExpectedRevision, events: Sequence[ProposedEvent]
    ) -> AppendResult:
        size = sum(len(e.data) + len(e.metadata) for e in events)
        if size > self.max_append_size:
            raise AppendTooLarge(size, self.max_append_size)
        state = self._stream(stream_name)
        if state.tombstoned:
            raise StreamDeleted(stream_name)
        if events:
            retried = self._earlier_append(stream_name, state, expected, events)
            if retried is not None:
                return retried
        self._check_expected(stream_name, state, expected)
        if not events:
            return AppendResult(state.last_revision, self._head)
        return self._write(stream_name, state, events)

    def _earlier_append(
        self,
        stream_name: str,
        state: _Stream,
        expected: ExpectedRevision,
        events: Sequence[ProposedEvent],
    ) -> AppendResult | None:
        """The result of an earlier append of the same event ids, if this is a retry."""
        row = self.connection.execute(
            "SELECT revision FROM events WHERE event_id = ? AND stream_name = ?",
            (events[0].event_id.bytes, stream_name),
        ).fetchone()
        if row is None:
            return None
        first = row[0]
        if isinstance(expected, int) and expected != first - 1:
            return None
        if expected is StreamState.NO_STREAM and first != 0:
            return None
        rows = self.connection.execute(
            "SELECT event_id, position FROM events WHERE stream_name = ? AND revision >= ?"
            " ORDER BY revision LIMIT ?",
            (stream_name, first, len(events)),
        ).fetchall()
        if [r[0] for r in rows] != [e.event_id.bytes for e in events]:
            return None
        return AppendResult(first + len(events) - 1, rows[-1][1])

    def _write(
        self, stream_name: str, state: _Stream, events: Sequence[ProposedEvent]
    ) -> AppendResult:
        created = time.time_ns() // 100
        position = self._head
        revision = state.last_revision
        rows: list[tuple[int, str, int, bytes, str, str, bytes, bytes, int]] = []
        truncate_before = state.truncate_before
        if state.soft_deleted:
            truncate_before = revision + 1
            meta_rows, position = self._metadata_rows(
                stream_name, {"$tb": truncate_before}, position, created
            )
            rows.extend(meta_rows)
        for event in events:
            position += 1
            revision += 1
            rows.append(
                (
                    position,
                    stream_name,
                    revision,
                    event.event_id.bytes,
                    event.type,
                    event.content_type,
                    event.data,
                    event.metadata,
                    created,
                )
            )
        new_state = _Stream(revision, truncate_before, False)
        self._commit(rows, {stream_name: new_state})
        return AppendResult(revision, position)

    def _metadata_rows(
        self, stream_name: str, changes: dict[str, object], position: int, created: int
    ) -> tuple[list[tuple[int, str, int, bytes, str, str, bytes, bytes, int]], int]:
        """Rows that rewrite the stream's metadata with `changes` merged in."""
        meta_name = metadata_stream_of(stream_name)
        meta_state = self._stream(meta_name)
        current: dict[str, object] = {}
        if meta_state.last_revision >= 0:
            row = self.connection.execute(
                "SELECT data FROM events WHERE stream_name = ? AND revision = ?",
                (meta_name, meta_state.last_revision),
            ).fetchone()
            current = _parse_metadata(row[0])
        current.update(changes)
        data = json.dumps(current, separators=(",", ":")).encode()
        row_ = (
            position + 1,
            meta_name,
            meta_state.last_revision + 1,
            uuid.uuid4().bytes,
            METADATA_EVENT_TYPE,
            JSON_CONTENT_TYPE,
            data,
            b"",
            created,
        )
        return [row_], position + 1

    def _commit(
        self,
        rows: list[tuple[int, str, int, bytes, str, str, bytes, bytes, int]],
        states: dict[str, _Stream],
    ) -> None:
        updates = dict(states)
        for row in rows:
            name = row[1]
            if name not in updates:
                old = self._stream(name)
                updates[name] = _Stream(row[2], old.truncate_before, old.tombstoned)
            elif updates[name].last_revision < row[2]:
                updates[name].last_revision = row[2]
            if name.startswith("$$"):
                target = name[2:]
                base = updates.get(target) or self._stream(target)
                tb = _truncate_before(row[6])
                updates[target] = _Stream(base.last_revision, tb, base.tombstoned)
        connection = self.connection
        connection.execute("BEGIN IMMEDIATE")
        try:
            if rows:
                connection.executemany(_INSERT, rows)
            connection.executemany(
                _UPSERT_STREAM,
                [
                    (name, s.last_revision, s.truncate_before, int(s.tombstoned))
                    for name, s in updates.items()
                ],
            )
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        self._streams.update(updates)
        if rows:
            self._head = rows[-1][0]
            self._notify()

    def delete_stream(self, stream_name: str, expected: ExpectedRevision) -> int:
        """Soft delete; returns the commit position of the metadata event written."""
        state = self._stream(stream_name)
        if state.tombstoned:
            raise StreamDeleted(stream_name)
        if state.last_revision == -1:
            raise WrongExpectedRevision(stream_name, expected_as_int(expected), -1)
        if state.soft_deleted and expected is StreamState.STREAM_EXISTS:
            raise StreamDeleted(stream_name)
        self._check_expected(stream_name, state, expected)
        rows, position = self._metadata_rows(
            stream_name, {"$tb": DELETED_TRUNCATE_BEFORE}, self._head, time.time_ns() // 100
        )
        self._commit(rows, {})
        return position

    def tombstone_stream(self, stream_name: str, expected: ExpectedRevision) -> int:
        state = self._stream(stream_name)
        if state.tombstoned:
            raise StreamDeleted(stream_name)
        if state.last_revision == -1:
            if expected not in (StreamState.ANY, StreamState.NO_STREAM):
                raise WrongExpectedRevision(stream_name, expected_as_int(expected), -1)
        else:
            self._check_expected(stream_name, state, expected)
        self._commit([], {stream_name: _Stream(state.last_revision, state.truncate_before, True)})
        return self._head

    # -- reads ---------------------------------------------------------------------------

    def read_stream(
        self, stream_name: str, from_revision: int | None, backwards: bool, limit: int
    ) -> list[RecordedEvent]:
        if stream_name.startswith("$$") and self._stream(stream_name[2:]).tombstoned:
            raise StreamDeleted(stream_name[2:])
        state = self._stream(stream_name)
        if state.tombstoned:
            raise StreamDeleted(stream_name)
        if not state.visible:
            raise StreamNotFound(stream_name)
        limit = min(limit, 2**62)
        if backwards:
            top = state.last_revision if from_revision is None else from_revision
            sql = (
                f"SELECT {_COLUMNS} FROM events WHERE stream_name = ? AND revision <= ?"
                " AND revision >= ? ORDER BY revision DESC LIMIT ?"
            )
            params: tuple[object, ...] = (stream_name, top, state.truncate_before, limit)
        else:
            bottom = max(from_revision or 0, state.truncate_before)
            sql = (
                f"SELECT {_COLUMNS} FROM events WHERE stream_name = ? AND revision >= ?"
                " ORDER BY revision LIMIT ?"
            )
            params = (stream_name, bottom, limit)
        return [_to_event(r) for r in self.connection.execute(sql, params)]

    def scan_all(
        self, from_position: int | None, backwards: bool, limit: int
    ) -> list[RecordedEvent]:
        """Unfiltered `$all` read; same position rules as `read_all`."""
        limit = min(limit, 2**62)
        if backwards:
            top = 2**62 if from_position is None else from_position
            sql = f"SELECT {_COLUMNS} FROM events WHERE position < ? ORDER BY position DESC LIMIT ?"
            params = (top, limit)
        else:
            sql = f"SELECT {_COLUMNS} FROM events WHERE position >= ? ORDER BY position LIMIT ?"
            params = (from_position or 0, limit)
        return [_to_event(r) for r in self.connection.execute(sql, params)]

    def read_all(
        self,
        from_position: int | None,
        backwards: bool,
        limit: int,
        event_filter: EventFilter | None = None,
    ) -> list[RecordedEvent]:
        if event_filter is None:
            return self.scan_all(from_position, backwards, limit)
        found: list[RecordedEvent] = []
        cursor = from_position
        while len(found) < limit:
            page = self.scan_all(cursor, backwards, _SCAN_PAGE)
            found.extend(e for e in page if event_filter.matches(e))
            if len(page) < _SCAN_PAGE:
                break
            last = page[-1].commit_position
            cursor = last if backwards else last + 1
        return found[:limit]


def _parse_metadata(data: bytes) -> dict[str, object]:
    try:
        parsed = json.loads(data)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _truncate_before(data: bytes) -> int:
    value = _parse_metadata(data).get("$tb", 0)
    return value if isinstance(value, int) else 0
