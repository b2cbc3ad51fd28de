"""Appends are idempotent by event id, as on the real server: a retry of an append that
was already written returns the original result instead of writing the events twice."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from eventstore_lite.errors import WrongExpectedRevision
from eventstore_lite.records import (
    AppendResult,
    ExpectedRevision,
    ProposedEvent,
    StreamState,
    expected_as_int,
)
from eventstore_lite.stream_state import StreamStatus


def earlier_append(
    connection: sqlite3.Connection,
    stream_name: str,
    expected: ExpectedRevision,
    events: Sequence[ProposedEvent],
    status: StreamStatus,
) -> AppendResult | None:
    """The result of an earlier append of the same event ids, if this is a retry."""
    row = connection.execute(
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
    rows = connection.execute(
        "SELECT event_id, position FROM events WHERE stream_name = ? AND revision >= ?"
        " ORDER BY revision LIMIT ?",
        (stream_name, first, len(events)),
    ).fetchall()
    if [r[0] for r in rows] == [e.event_id.bytes for e in events]:
        return AppendResult(first + len(events) - 1, rows[-1][1])
    if isinstance(expected, StreamState):
        # A retry that only partly matches what was written: writing it would duplicate
        # event ids, so the real server refuses it.
        raise WrongExpectedRevision(stream_name, expected_as_int(expected), status.last_revision)
    return None
