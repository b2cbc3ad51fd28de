"""Between decided events and the event store's records: encoding, decoding, metadata."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import msgspec
from kurrentdbclient import NewEvent, RecordedEvent

from orders_contracts.codec import EventMetadata, decode_event, encode_event
from orders_contracts.events import CustomerForgotten, CustomerRegistered, Event
from orders_contracts.streams import customer_stream, order_stream
from write_service.idempotency import event_id


class CommandMetadata(EventMetadata, frozen=True, omit_defaults=False):
    """The contract's metadata plus the fingerprint of the command's payload.

    Readers that decode plain ``EventMetadata`` ignore the extra field. Defaults are written
    too, so consumers in other languages always find ``schema_version``.
    """

    payload_hash: str = ""


class StreamUnreadableError(Exception):
    """A stored event this service cannot fold: it does not decode, or it does not fit its
    stream. Another writer put it there; folding around it would decide on a wrong state."""

    def __init__(self, stream: str, revision: int, event_type: str, problem: str) -> None:
        super().__init__(
            f"the stream {stream} cannot be read: its event at revision {revision} "
            f"({event_type!r}) {problem}; nothing was written, the stream needs repair"
        )
        self.stream = stream
        self.revision = revision
        self.event_type = event_type


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
    """The event and, when one of our commands wrote it, that command's metadata.

    Raises StreamUnreadableError when the event does not decode or names another aggregate.
    """
    try:
        metadata: CommandMetadata | None = _DECODER.decode(record.metadata)
    except msgspec.DecodeError:
        metadata = None
    schema_version = metadata.schema_version if metadata else 1
    try:
        event = decode_event(record.type, record.data, schema_version)
    except ValueError as error:  # the codec's errors: unknown type, malformed, newer schema
        raise unreadable(record, f"does not decode: {type(error).__name__}: {error}") from error
    if _stream_of(event) != record.stream_name:
        raise unreadable(record, f"belongs to the stream {_stream_of(event)}")
    return event, metadata


def unreadable(record: RecordedEvent, problem: str) -> StreamUnreadableError:
    return StreamUnreadableError(record.stream_name, record.stream_position, record.type, problem)


def _stream_of(event: Event) -> str:
    if isinstance(event, CustomerRegistered | CustomerForgotten):
        return customer_stream(event.customer_id)
    return order_stream(event.order_id)
