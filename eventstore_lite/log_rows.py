"""Rows of the events table, built before they are inserted (pure functions)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import TypeAlias

from eventstore_lite.records import JSON_CONTENT_TYPE, ProposedEvent

METADATA_EVENT_TYPE = "$metadata"
# (position, stream_name, revision, event_id, type, content_type, data, metadata, created)
Row: TypeAlias = tuple[int, str, int, bytes, str, str, bytes, bytes, int]


def event_rows(
    stream_name: str,
    after_revision: int,
    after_position: int,
    events: Sequence[ProposedEvent],
    created: int,
) -> list[Row]:
    return [
        (
            after_position + n,
            stream_name,
            after_revision + n,
            event.event_id.bytes,
            event.type,
            event.content_type,
            event.data,
            event.metadata,
            created,
        )
        for n, event in enumerate(events, start=1)
    ]


def metadata_row(
    meta_stream: str, revision: int, position: int, metadata: dict[str, object], created: int
) -> Row:
    data = json.dumps(metadata, separators=(",", ":")).encode()
    return (
        position,
        meta_stream,
        revision,
        uuid.uuid4().bytes,
        METADATA_EVENT_TYPE,
        JSON_CONTENT_TYPE,
        data,
        b"",
        created,
    )
