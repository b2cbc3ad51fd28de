"""A stored event as the projector sees it: where it sits, and what it says if we understand it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeAlias
from uuid import UUID

from orders_contracts.codec import (
    UnknownEventTypeError,
    UnsupportedSchemaVersionError,
    decode_event,
    decode_metadata,
)
from orders_contracts.events import CURRENT_SCHEMA_VERSION, Event

SkipReason: TypeAlias = Literal["unknown_type", "newer_schema"]


@dataclass(frozen=True, slots=True)
class Envelope:
    """One event of one of our streams.

    ``event`` is None when the event is deliberately skipped (``skip_reason`` says why): it still
    advances the stream revision, so the documents never wait for it.
    """

    stream_name: str
    revision: int
    commit_position: int
    event_id: UUID
    event_type: str
    event: Event | None
    skip_reason: SkipReason | None = None
    recorded_at: datetime | None = None


def schema_version_of(metadata: bytes) -> int:
    """Schema version carried in the metadata; events written without metadata are version 1."""
    if not metadata.strip():
        return CURRENT_SCHEMA_VERSION
    return decode_metadata(metadata).schema_version


def open_envelope(
    *,
    stream_name: str,
    revision: int,
    commit_position: int,
    event_id: UUID,
    event_type: str,
    data: bytes,
    metadata: bytes,
    recorded_at: datetime | None = None,
) -> Envelope:
    """Decode a stored event; unknown types and newer schemas become skips.

    A payload of a known type that does not validate raises MalformedEventError: that is a
    poison event, retried and then parked by the consumer.
    """
    event: Event | None = None
    skip_reason: SkipReason | None = None
    try:
        event = decode_event(event_type, data, schema_version_of(metadata))
    except UnknownEventTypeError:
        skip_reason = "unknown_type"
    except UnsupportedSchemaVersionError:
        skip_reason = "newer_schema"
    return Envelope(
        stream_name=stream_name,
        revision=revision,
        commit_position=commit_position,
        event_id=event_id,
        event_type=event_type,
        event=event,
        skip_reason=skip_reason,
        recorded_at=recorded_at,
    )
