"""Plain values that cross the storage boundary: no protobuf here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import Enum
from typing import TypeAlias

JSON_CONTENT_TYPE = "application/json"
BINARY_CONTENT_TYPE = "application/octet-stream"

# The real server's "truncate before" value for a soft-deleted stream (Int64.MaxValue).
DELETED_TRUNCATE_BEFORE = 9223372036854775807


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """An event as stored. `commit_position` is also its prepare position (one node, no
    transactions). `created` is in 100-ns ticks since the Unix epoch. `metadata` is the
    user's custom metadata; `type` and `content_type` are the system metadata."""

    stream_name: str
    stream_revision: int
    commit_position: int
    event_id: uuid.UUID
    type: str
    data: bytes
    metadata: bytes
    content_type: str
    created: int


@dataclass(frozen=True, slots=True)
class ProposedEvent:
    event_id: uuid.UUID
    type: str
    data: bytes
    metadata: bytes
    content_type: str


class StreamState(Enum):
    ANY = "any"
    NO_STREAM = "no_stream"
    STREAM_EXISTS = "stream_exists"


ExpectedRevision: TypeAlias = int | StreamState


@dataclass(frozen=True, slots=True)
class AppendResult:
    """`revision` is the stream's last revision after the write; `position` the commit
    position of the last event written (for an idempotent retry: of the original)."""

    revision: int
    position: int


def expected_as_int(expected: ExpectedRevision) -> int:
    """The real server's numeric encoding of an expectation, used in error messages."""
    if isinstance(expected, int):
        return expected
    return {StreamState.ANY: -2, StreamState.NO_STREAM: -1, StreamState.STREAM_EXISTS: -4}[expected]
