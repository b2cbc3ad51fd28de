"""What the log knows about one stream, and the expected-revision rules the real server
applies to it (including soft-deleted streams, which keep their numbering)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from eventstore_lite.errors import StreamDeleted, WrongExpectedRevision
from eventstore_lite.records import ExpectedRevision, StreamState, expected_as_int


@dataclass(slots=True)
class StreamStatus:
    """`last_revision` is -1 for a stream never written; events below `truncate_before`
    (the `$tb` of its metadata) are hidden from stream reads but stay in `$all`."""

    last_revision: int
    truncate_before: int
    tombstoned: bool

    @property
    def visible(self) -> bool:
        return 0 <= self.truncate_before <= self.last_revision

    @property
    def soft_deleted(self) -> bool:
        return self.last_revision >= 0 and not self.visible


def check_expected(name: str, status: StreamStatus, expected: ExpectedRevision) -> None:
    last = status.last_revision
    if expected is StreamState.ANY:
        return
    if expected is StreamState.NO_STREAM:
        ok = last == -1 or status.soft_deleted
    elif expected is StreamState.STREAM_EXISTS:
        ok = status.visible
    else:
        ok = expected == last
    if not ok:
        raise WrongExpectedRevision(name, expected_as_int(expected), last)


def metadata_stream_of(stream_name: str) -> str:
    return "$$" + stream_name


def parse_metadata(data: bytes) -> dict[str, object]:
    try:
        parsed = json.loads(data)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def truncate_before_of(metadata: bytes) -> int:
    value = parse_metadata(metadata).get("$tb", 0)
    return max(0, value) if isinstance(value, int) and not isinstance(value, bool) else 0


def check_deletable(name: str, status: StreamStatus, expected: ExpectedRevision) -> None:
    """The real server's rules for a soft delete."""
    if status.tombstoned:
        raise StreamDeleted(name)
    if status.last_revision == -1:
        raise WrongExpectedRevision(name, expected_as_int(expected), -1)
    if status.soft_deleted and expected is StreamState.STREAM_EXISTS:
        raise StreamDeleted(name)
    check_expected(name, status, expected)


def check_tombstonable(name: str, status: StreamStatus, expected: ExpectedRevision) -> None:
    """The real server's rules for a tombstone: a never-written stream can be tombstoned."""
    if status.tombstoned:
        raise StreamDeleted(name)
    if status.last_revision >= 0:
        check_expected(name, status, expected)
    elif expected not in (StreamState.ANY, StreamState.NO_STREAM):
        raise WrongExpectedRevision(name, expected_as_int(expected), -1)
