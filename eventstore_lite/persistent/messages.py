"""A message of a subscription group: a recorded event on its way to a consumer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import Enum

from kurrentdbclient.protos.v1 import persistent_pb2, shared_pb2

from eventstore_lite.links import LINK_EVENT_TYPE, resolve_link
from eventstore_lite.persistent.consumers import Consumer
from eventstore_lite.records import RecordedEvent
from eventstore_lite.storage import EventStorage

_ReadEvent = persistent_pb2.ReadResp.ReadEvent


class NackAction(Enum):
    UNKNOWN = 0
    PARK = 1
    RETRY = 2
    SKIP = 3
    STOP = 4


@dataclass(eq=False, slots=True)
class Message:
    """`seq` is the source sequence number (None for a replayed parked message, which the
    checkpoint ignores); `parked_row` is its `ps_parked` row while it is being replayed.
    `deliveries` counts sends, so a timeout armed for an earlier send is ignored."""

    event: RecordedEvent
    link: RecordedEvent | None
    seq: int | None
    retry_count: int = 0
    parked_row: int | None = None
    deliveries: int = 0
    consumer: Consumer | None = None

    @property
    def ack_id(self) -> uuid.UUID:
        return (self.link or self.event).event_id

    @property
    def position(self) -> int:
        """Commit position of the record read from the log (the link, when resolved)."""
        return (self.link or self.event).commit_position

    @property
    def partition(self) -> str:
        return self.event.stream_name


def resolve(
    storage: EventStorage, record: RecordedEvent
) -> tuple[RecordedEvent, RecordedEvent | None]:
    """(event, link) for a record; a link whose target is gone is delivered as itself, so
    the client (which drops events without a body) can still acknowledge it."""
    if record.type != LINK_EVENT_TYPE:
        return record, None
    target = resolve_link(storage, record)
    return (record, None) if target is None else (target, record)


def _encode_id(event_id: uuid.UUID, structured: bool) -> shared_pb2.UUID:
    if not structured:
        return shared_pb2.UUID(string=str(event_id))
    value = event_id.int
    msb, lsb = value >> 64, value & (2**64 - 1)
    return shared_pb2.UUID(
        structured=shared_pb2.UUID.Structured(
            most_significant_bits=msb - 2**64 if msb >= 2**63 else msb,
            least_significant_bits=lsb - 2**64 if lsb >= 2**63 else lsb,
        )
    )


def _encode_record(
    record: RecordedEvent, position: int, structured: bool
) -> _ReadEvent.RecordedEvent:
    # The real server stamps both the event and its link with the position of the record
    # it read (the link's, when links are resolved).
    encoded = _ReadEvent.RecordedEvent(
        id=_encode_id(record.event_id, structured),
        stream_identifier=shared_pb2.StreamIdentifier(stream_name=record.stream_name.encode()),
        stream_revision=record.stream_revision,
        prepare_position=position,
        commit_position=position,
        custom_metadata=record.metadata,
        data=record.data,
    )
    # Filling the map in place is about twice as fast as passing a dict to the constructor.
    metadata = encoded.metadata
    metadata["type"] = record.type
    metadata["content-type"] = record.content_type
    metadata["created"] = str(record.created)
    return encoded


def encode(message: Message, structured: bool) -> persistent_pb2.ReadResp:
    position = message.position
    read_event = _ReadEvent(
        event=_encode_record(message.event, position, structured),
        commit_position=position,
        retry_count=message.retry_count,
    )
    if message.link is not None:
        read_event.link.CopyFrom(_encode_record(message.link, position, structured))
    return persistent_pb2.ReadResp(event=read_event)
