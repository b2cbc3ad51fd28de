"""Between decided events and the event store's records: encoding, decoding, metadata."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import msgspec
from kurrentdbclient import NewEvent, RecordedEvent

from orders_contracts.codec import EventMetadata, decode_event, encode_event
from orders_contracts.events import Event
from write_service.idempotency import event_id


class CommandMetadata(EventMetadata, frozen=True, omit_defaults=False):
    """The contract's metadata plus the fingerprint of the command's payload.

    Readers that decode plain ``EventMetadata`` ignore the extra field. Defaults are written
    too, so consumers in other languages always find ``schema_version``.
    """

    payload_hash: str = ""


_ENCODER: Final = msgspec.json.Encoder()
_DECODER: Final = msgspec.json.Decoder(CommandMetadata)


def new_events(
    stream: str, key: str, events: Sequence[Event], metadata: CommandMetadata
) -> list[NewEvent]:
    encoded_metadata = _ENCODER.encode(metadata)
    records = []
    for index, event in enumerate(events):
        type_name, data = encode_event(event)
        records.append(
            NewEvent(
                type=type_name,
                data=data,
                metadata=encoded_metadata,
                content_type="application/json",
                id=event_id(stream, key, metadata.payload_hash, index),
            )
        )
    return records


def decode(record: RecordedEvent) -> tuple[Event, CommandMetadata | None]:
    """The event and, when one of our commands wrote it, that command's metadata."""
    try:
        metadata: CommandMetadata | None = _DECODER.decode(record.metadata)
    except msgspec.DecodeError:
        metadata = None
    schema_version = metadata.schema_version if metadata else 1
    return decode_event(record.type, record.data, schema_version), metadata
