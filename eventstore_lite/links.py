"""Link events (type `$>`, data `<revision>@<stream>`) and their resolution."""

from __future__ import annotations

from eventstore_lite.errors import StorageError
from eventstore_lite.records import RecordedEvent
from eventstore_lite.storage import EventStorage

LINK_EVENT_TYPE = "$>"


def resolve_link(storage: EventStorage, link: RecordedEvent) -> RecordedEvent | None:
    """The event a link points to, or None when it is gone or the link is malformed."""
    try:
        revision_text, stream_name = link.data.decode("utf8").split("@", 1)
        revision = int(revision_text)
        found = storage.read_stream(stream_name, revision, False, 1)
    except (ValueError, StorageError):
        return None
    if not found or found[0].stream_revision != revision:
        return None
    return found[0]
