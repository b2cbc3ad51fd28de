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
- Link events (`$>`) are stored like any other event; `eventstore_lite.links.resolve_link`
  resolves one.
- Beyond the reads: `scan_all` (unfiltered `$all` page), `stream_revision` (last revision
  written, -1 if none), `wait_for_append(after_position)` (any write) and
  `wait_for_stream_change(name, last_revision)` (writes to one stream only).
- Writes: `append`, `delete_stream` (soft), `tombstone_stream`; each commits before it
  returns, so an acknowledged write survives `kill -9` (WAL, synchronous=NORMAL).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from eventstore_lite import log_reader
from eventstore_lite.errors import (
    AppendTooLarge,
    StreamDeleted,
    StreamNotFound,
)
from eventstore_lite.filters import EventFilter
from eventstore_lite.idempotency import earlier_append
from eventstore_lite.log_rows import Row, event_rows, metadata_row
from eventstore_lite.records import (
    DELETED_TRUNCATE_BEFORE,
    AppendResult,
    ExpectedRevision,
    ProposedEvent,
    RecordedEvent,
)
from eventstore_lite.schema import DEFAULT_PAGE_CACHE_KIB, open_database
from eventstore_lite.stream_state import (
    StreamStatus,
    check_deletable,
    check_expected,
    check_tombstonable,
    metadata_stream_of,
    parse_metadata,
    truncate_before_of,
)
from eventstore_lite.wal_checkpoints import WalCheckpointer

__all__ = ["EventFilter", "EventStorage", "RecordedEvent"]

DATABASE_FILE = "eventstore.sqlite3"
DEFAULT_MAX_APPEND_SIZE = 1024 * 1024
DEFAULT_STREAM_CACHE_SIZE = 200_000
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


def _now() -> int:
    return time.time_ns() // 100


class EventStorage:
    def __init__(
        self,
        data_dir: Path,
        max_append_size: int = DEFAULT_MAX_APPEND_SIZE,
        stream_cache_size: int = DEFAULT_STREAM_CACHE_SIZE,
        page_cache_kib: int = DEFAULT_PAGE_CACHE_KIB,
    ) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.connection: sqlite3.Connection = open_database(
            str(data_dir / DATABASE_FILE), page_cache_kib
        )
        self._checkpoints = WalCheckpointer(str(data_dir / DATABASE_FILE))
        self._checkpoints.start()
        self.max_append_size = max_append_size
        self._stream_cache_size = stream_cache_size
        self._streams: dict[str, StreamStatus] = {}
        row = self.connection.execute("SELECT MAX(position) FROM events").fetchone()
        self._head: int = row[0] or 0
        self._appended = asyncio.Event()
        self._stream_waiters: dict[str, asyncio.Event] = {}
        if self._head == 0:
            self._write_initial_system_event()

    def _write_initial_system_event(self) -> None:
        # The real server's $all never starts with a user event; clients (and the official
        # test suite) expect system events there, which default filters then exclude.
        with self._transaction():
            rows = [self._metadata_row("$scavenges", {"$maxAge": 2592000}, 1, _now())]
            statuses = self._insert(rows, {})
        self._applied(rows, statuses)

    def close(self) -> None:
        self.connection.close()
        self._checkpoints.stop()

    def head_position(self) -> int:
        return self._head

    async def wait_for_append(self, after_position: int) -> None:
        while self._head <= after_position:
            await self._appended.wait()

    async def wait_for_stream_change(self, stream_name: str, last_revision: int) -> None:
        """Returns once the stream's last revision differs from `last_revision` or it was
        tombstoned; wakes only for writes to this stream."""
        while True:
            status = self._status(stream_name)
            if status.last_revision != last_revision or status.tombstoned:
                return
            waiter = self._stream_waiters.get(stream_name)
            if waiter is None:
                waiter = self._stream_waiters[stream_name] = asyncio.Event()
            await waiter.wait()

    def stream_revision(self, name: str) -> int:
        """The last revision written to the stream, -1 if none (deleted or not)."""
        return self._status(name).last_revision

    def _status(self, name: str) -> StreamStatus:
        status = self._streams.get(name)
        if status is None:
            last = self.connection.execute(
                "SELECT MAX(revision) FROM events WHERE stream_name = ?", (name,)
            ).fetchone()[0]
            row = self.connection.execute(
                "SELECT truncate_before, tombstoned FROM streams WHERE name = ?", (name,)
            ).fetchone()
            if last is None and row is None:
                return StreamStatus(-1, 0, False)
            truncate_before, tombstoned = row if row is not None else (0, 0)
            status = StreamStatus(-1 if last is None else last, truncate_before, bool(tombstoned))
            if len(self._streams) >= self._stream_cache_size:
                # Only a cache: everything in it can be read back from the database.
                self._streams.clear()
            self._streams[name] = status
        return status

    # -- writes: one BEGIN IMMEDIATE ... COMMIT each; memory changes only after COMMIT --

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")

    def append(
        self, stream_name: str, expected: ExpectedRevision, events: Sequence[ProposedEvent]
    ) -> AppendResult:
        size = sum(len(e.data) + len(e.metadata) for e in events)
        if size > self.max_append_size:
            raise AppendTooLarge(size, self.max_append_size)
        status = self._status(stream_name)
        if status.tombstoned:
            raise StreamDeleted(stream_name)
        with self._transaction():
            retried = (
                earlier_append(self.connection, stream_name, expected, events, status)
                if events
                else None
            )
            if retried is not None:
                return retried
            check_expected(stream_name, status, expected)
            if not events:
                return AppendResult(status.last_revision, self._head)
            rows = self._append_rows(stream_name, status, events)
            statuses = self._insert(rows, {})
        self._applied(rows, statuses)
        return AppendResult(rows[-1][2], rows[-1][0])

    def _append_rows(
        self, stream_name: str, status: StreamStatus, events: Sequence[ProposedEvent]
    ) -> list[Row]:
        created = _now()
        rows: list[Row] = []
        if status.soft_deleted:
            # Writing to a soft-deleted stream revives it from its next revision on.
            revived = {"$tb": status.last_revision + 1}
            rows.append(self._metadata_row(stream_name, revived, self._head + 1, created))
        after_position = rows[-1][0] if rows else self._head
        rows += event_rows(stream_name, status.last_revision, after_position, events, created)
        return rows

    def _metadata_row(
        self, stream_name: str, changes: Mapping[str, object], position: int, created: int
    ) -> Row:
        """The row that rewrites the stream's metadata with `changes` merged in."""
        meta_name = metadata_stream_of(stream_name)
        meta_last = self._status(meta_name).last_revision
        current: dict[str, object] = {}
        if meta_last >= 0:
            row = self.connection.execute(
                "SELECT data FROM events WHERE stream_name = ? AND revision = ?",
                (meta_name, meta_last),
            ).fetchone()
            current = parse_metadata(row[0])
        current.update(changes)
        return metadata_row(meta_name, meta_last + 1, position, current, created)

    def _insert(self, rows: list[Row], changed: dict[str, StreamStatus]) -> dict[str, StreamStatus]:
        """Insert rows inside the open transaction; returns every stream's new status.
        Only `$tb` and tombstones go to the streams table: revisions come from the events."""
        statuses = dict(changed)
        for row in rows:
            name = row[1]
            current = statuses.get(name) or self._status(name)
            statuses[name] = StreamStatus(row[2], current.truncate_before, current.tombstoned)
            if name.startswith("$$"):
                target = name[2:]
                base = statuses.get(target) or self._status(target)
                tb = truncate_before_of(row[6])
                statuses[target] = StreamStatus(base.last_revision, tb, base.tombstoned)
        persisted = [
            (name, s.last_revision, s.truncate_before, int(s.tombstoned))
            for name, s in statuses.items()
            if (s.truncate_before, s.tombstoned) != _flags(self._status(name))
        ]
        if rows:
            self.connection.executemany(_INSERT, rows)
        if persisted:
            self.connection.executemany(_UPSERT_STREAM, persisted)
        return statuses

    def _applied(self, rows: list[Row], statuses: dict[str, StreamStatus]) -> None:
        if len(self._streams) + len(statuses) > self._stream_cache_size:
            self._streams.clear()
        self._streams.update(statuses)
        if rows:
            self._head = rows[-1][0]
            appended, self._appended = self._appended, asyncio.Event()
            appended.set()
        for name in statuses:
            waiter = self._stream_waiters.pop(name, None)
            if waiter is not None:
                waiter.set()

    def delete_stream(self, stream_name: str, expected: ExpectedRevision) -> int:
        """Soft delete; returns the commit position of the metadata event written."""
        check_deletable(stream_name, self._status(stream_name), expected)
        deleted = {"$tb": DELETED_TRUNCATE_BEFORE}
        with self._transaction():
            rows = [self._metadata_row(stream_name, deleted, self._head + 1, _now())]
            statuses = self._insert(rows, {})
        self._applied(rows, statuses)
        return rows[-1][0]

    def tombstone_stream(self, stream_name: str, expected: ExpectedRevision) -> int:
        status = self._status(stream_name)
        check_tombstonable(stream_name, status, expected)
        tombstoned = StreamStatus(status.last_revision, status.truncate_before, True)
        with self._transaction():
            statuses = self._insert([], {stream_name: tombstoned})
        self._applied([], statuses)
        return self._head

    # -- reads ---------------------------------------------------------------------------

    def read_stream(
        self, stream_name: str, from_revision: int | None, backwards: bool, limit: int
    ) -> list[RecordedEvent]:
        if stream_name.startswith("$$") and self._status(stream_name[2:]).tombstoned:
            raise StreamDeleted(stream_name[2:])
        status = self._status(stream_name)
        if status.tombstoned:
            raise StreamDeleted(stream_name)
        if not status.visible:
            raise StreamNotFound(stream_name)
        if backwards:
            top = status.last_revision if from_revision is None else from_revision
            return log_reader.stream_backwards(
                self.connection, stream_name, top, status.truncate_before, limit
            )
        bottom = max(from_revision or 0, status.truncate_before)
        return log_reader.stream_forwards(self.connection, stream_name, bottom, limit)

    def scan_all(
        self, from_position: int | None, backwards: bool, limit: int
    ) -> list[RecordedEvent]:
        """Unfiltered `$all` read; same position rules as `read_all`."""
        if backwards:
            before = log_reader.NO_LIMIT if from_position is None else from_position
            return log_reader.all_backwards(self.connection, before, limit)
        return log_reader.all_forwards(self.connection, from_position or 0, limit)

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


def _flags(status: StreamStatus) -> tuple[int, bool]:
    return status.truncate_before, status.tombstoned
