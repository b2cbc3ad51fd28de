"""A stored event as the projector sees it: where it sits, and what it says if we understand it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeAlias
from uuid import UUID

from orders_contracts.codec import (
    MalformedEventError,
    UnknownEventTypeError,
    UnsupportedSchemaVersionError,
    decode_event,
    decode_metadata,
)
from orders_contracts.events import (
    CURRENT_SCHEMA_VERSION,
    CustomerForgotten,
    CustomerRegistered,
    Event,
)
from orders_contracts.streams import CUSTOMER_STREAM_PREFIX, ORDER_STREAM_PREFIX, id_from_stream

SkipReason: TypeAlias = Literal["unknown_type", "newer_schema"]


class InconsistentEventError(MalformedEventError):
    """The event decodes, but belongs to another aggregate than the stream it is stored in
    (another writer appended it there): no read model can take it, so it is poison."""


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
    # Who made the change (the command's authenticated caller); empty when nobody was.
    actor_subject: str = ""
    actor_client_id: str = ""


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

    A payload of a known type that does not validate, or that names another order or customer
    than its stream's, raises MalformedEventError: that is a poison event, which the consumer
    parks at once (its bytes never change, so no retry can help).
    """
    event: Event | None = None
    skip_reason: SkipReason | None = None
    written_by = decode_metadata(metadata) if metadata.strip() else None
    try:
        event = decode_event(event_type, data, schema_version_of(metadata))
    except UnknownEventTypeError:
        skip_reason = "unknown_type"
    except UnsupportedSchemaVersionError:
        skip_reason = "newer_schema"
    if event is not None:
        _check_stream(stream_name, revision, event_type, event)
    return Envelope(
        stream_name=stream_name,
        revision=revision,
        commit_position=commit_position,
        event_id=event_id,
        event_type=event_type,
        event=event,
        skip_reason=skip_reason,
        recorded_at=recorded_at,
        actor_subject=written_by.principal_subject if written_by else "",
        actor_client_id=written_by.principal_client_id if written_by else "",
    )


def _check_stream(stream_name: str, revision: int, event_type: str, event: Event) -> None:
    """An order event must name its stream's order, a customer event its stream's customer."""
    expected = id_from_stream(stream_name)
    if isinstance(event, CustomerRegistered | CustomerForgotten):
        kind, named = "customer", event.customer_id
        fits = stream_name.startswith(CUSTOMER_STREAM_PREFIX)
    else:
        kind, named = "order", event.order_id
        fits = stream_name.startswith(ORDER_STREAM_PREFIX)
    if not fits:
        raise InconsistentEventError(
            f"{stream_name}@{revision}: {event_type} is a {kind} event in another kind of stream"
        )
    if named != expected:
        raise InconsistentEventError(
            f"{stream_name}@{revision}: {event_type} names {kind} {named}, "
            f"not this stream's {kind} {expected}"
        )
