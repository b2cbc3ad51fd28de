"""Encoding and decoding of events and their metadata, validated on the way in."""

from __future__ import annotations

from typing import Any, Final
from uuid import UUID, uuid5

import msgspec

from orders_contracts.events import CURRENT_SCHEMA_VERSION, EVENT_TYPES, TYPE_NAMES, Event


class EventMetadata(msgspec.Struct, frozen=True, omit_defaults=True):
    """Stored as the event's metadata: where the event came from, and its schema version."""

    command_id: str
    correlation_id: str
    causation_id: str
    schema_version: int = CURRENT_SCHEMA_VERSION
    # W3C trace context of the command that appended the event ("" when it was not traced), so
    # the projector's batch span links to it; absent in events written before it existed.
    traceparent: str = ""
    # Who made the change: the authenticated caller's token subject and OAuth client id. Empty
    # when authentication was off, and in events written before they existed.
    principal_subject: str = ""
    principal_client_id: str = ""


class UnknownEventTypeError(ValueError):
    """The event type is not one of ours; callers decide whether to skip or fail."""


class UnsupportedSchemaVersionError(ValueError):
    """The event was written by a newer schema than this code understands."""


class MalformedEventError(ValueError):
    """The payload does not match the schema of its type."""


_ENCODER: Final = msgspec.json.Encoder()
_DECODERS: Final[dict[str, msgspec.json.Decoder[Any]]] = {
    name: msgspec.json.Decoder(cls) for cls, name in TYPE_NAMES.items()
}
_METADATA_DECODER: Final = msgspec.json.Decoder(EventMetadata)


def type_name(event: Event) -> str:
    return TYPE_NAMES[type(event)]


def encode_event(event: Event) -> tuple[str, bytes]:
    """The stored type name and JSON payload of an event."""
    return TYPE_NAMES[type(event)], _ENCODER.encode(event)


def encode_metadata(metadata: EventMetadata) -> bytes:
    return _ENCODER.encode(metadata)


def decode_metadata(data: bytes) -> EventMetadata:
    try:
        return _METADATA_DECODER.decode(data)
    except msgspec.DecodeError as error:
        raise MalformedEventError(f"event metadata: {error}") from error


def decode_event(
    type_name: str, data: bytes, schema_version: int = CURRENT_SCHEMA_VERSION
) -> Event:
    """Decode and validate one stored event.

    Raises UnknownEventTypeError, UnsupportedSchemaVersionError or MalformedEventError.
    """
    decoder = _DECODERS.get(type_name)
    if decoder is None:
        raise UnknownEventTypeError(type_name)
    if schema_version > CURRENT_SCHEMA_VERSION:
        raise UnsupportedSchemaVersionError(f"{type_name} v{schema_version}")
    try:
        event: Event = decoder.decode(data)
    except msgspec.DecodeError as error:
        raise MalformedEventError(f"{type_name}: {error}") from error
    return event


def deterministic_event_id(namespace: UUID, key: str, index: int) -> UUID:
    """An event id derived from a command's idempotency key.

    A retried append of the same command then carries the same ids, and the event store's own
    de-duplication drops it even when our idempotency record was lost.
    """
    return uuid5(namespace, f"{key}/{index}")


def json_schemas() -> dict[str, Any]:
    """JSON Schema of every event payload, keyed by type name, for consumers in other languages."""
    schemas, components = msgspec.json.schema_components(EVENT_TYPES)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "events": {
            TYPE_NAMES[cls]: schema for cls, schema in zip(EVENT_TYPES, schemas, strict=True)
        },
        "$defs": components,
    }


__all__ = [
    "EVENT_TYPES",
    "EventMetadata",
    "MalformedEventError",
    "UnknownEventTypeError",
    "UnsupportedSchemaVersionError",
    "decode_event",
    "decode_metadata",
    "deterministic_event_id",
    "encode_event",
    "encode_metadata",
    "json_schemas",
    "type_name",
]
