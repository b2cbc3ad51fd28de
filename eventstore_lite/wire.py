"""Translation between the client's protobuf messages and storage records."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from google.protobuf import empty_pb2
from kurrentdbclient.protos.v1 import shared_pb2, streams_pb2

from eventstore_lite.records import (
    BINARY_CONTENT_TYPE,
    ExpectedRevision,
    ProposedEvent,
    RecordedEvent,
    StreamState,
)

Empty = shared_pb2.Empty


# Revisions and positions are unsigned on the wire but signed 64-bit numbers in the log.
MAX_POSITION = 2**63 - 1


class MalformedRequest(ValueError):  # noqa: N818
    """A request the real server would answer with INVALID_ARGUMENT."""


def in_range(value: int, what: str) -> int:
    """A revision or position from the wire, refused when the log cannot hold it."""
    if value > MAX_POSITION:
        raise MalformedRequest(f"{what} {value} is out of range (at most {MAX_POSITION})")
    return value


def decode_uuid(message: shared_pb2.UUID) -> uuid.UUID:
    try:
        if message.WhichOneof("value") == "structured":
            msb = message.structured.most_significant_bits & (2**64 - 1)
            lsb = message.structured.least_significant_bits & (2**64 - 1)
            return uuid.UUID(int=(msb << 64) | lsb)
        return uuid.UUID(message.string)
    except ValueError as error:
        raise MalformedRequest(f"Invalid event id: {message.string!r}") from error


def decode_stream_name(identifier: shared_pb2.StreamIdentifier) -> str:
    try:
        name = identifier.stream_name.decode("utf8")
    except UnicodeDecodeError as error:
        raise MalformedRequest("Stream name is not UTF-8") from error
    if not name:
        raise MalformedRequest("Stream name is empty")
    return name


def decode_proposed(
    event_id: shared_pb2.UUID, metadata: Mapping[str, str], custom_metadata: bytes, data: bytes
) -> ProposedEvent:
    # The real server's wording for a proposed message without its system metadata.
    for required in ("type", "content-type"):
        if required not in metadata:
            raise MalformedRequest(f"Required Metadata Property '{required}' is missing")
    event_type = metadata["type"]
    if not event_type:
        raise MalformedRequest("Event type is empty")
    content_type = metadata["content-type"] or BINARY_CONTENT_TYPE
    return ProposedEvent(decode_uuid(event_id), event_type, data, custom_metadata, content_type)


def decode_expected(options: object, revision_field: str) -> ExpectedRevision:
    """Expected revision from the expectation oneof of any write request; `revision_field`
    is "stream_position" in BatchAppend and "revision" elsewhere."""
    oneof = (
        "expected_stream_position"
        if revision_field == "stream_position"
        else ("expected_stream_revision")
    )
    which = options.WhichOneof(oneof)  # type: ignore[attr-defined]
    if which == revision_field:
        value = getattr(options, revision_field)
        assert isinstance(value, int)
        return in_range(value, "Expected revision")
    if which == "no_stream":
        return StreamState.NO_STREAM
    if which == "stream_exists":
        return StreamState.STREAM_EXISTS
    if which == "any" or which is None:
        return StreamState.ANY
    raise MalformedRequest(f"Unknown expected revision {which!r}")


def encode_recorded(event: RecordedEvent) -> streams_pb2.ReadResp.ReadEvent.RecordedEvent:
    return streams_pb2.ReadResp.ReadEvent.RecordedEvent(
        id=shared_pb2.UUID(string=str(event.event_id)),
        stream_identifier=shared_pb2.StreamIdentifier(stream_name=event.stream_name.encode()),
        stream_revision=event.stream_revision,
        prepare_position=event.commit_position,
        commit_position=event.commit_position,
        metadata={
            "type": event.type,
            "content-type": event.content_type,
            "created": str(event.created),
        },
        custom_metadata=event.metadata,
        data=event.data,
    )


def encode_read_event(
    event: RecordedEvent, link: RecordedEvent | None = None
) -> streams_pb2.ReadResp:
    read_event = streams_pb2.ReadResp.ReadEvent(
        event=encode_recorded(event),
        commit_position=(link or event).commit_position,
    )
    if link is not None:
        read_event.link.CopyFrom(encode_recorded(link))
    return streams_pb2.ReadResp(event=read_event)


def empty() -> empty_pb2.Empty:
    return empty_pb2.Empty()
