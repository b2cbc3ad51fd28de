"""Where a group reads from: one stream (positions are revisions) or `$all` (positions are
commit positions). A page holds every record scanned, matching the filter or not."""

from __future__ import annotations

from eventstore_lite.errors import StorageError
from eventstore_lite.filters import EventFilter
from eventstore_lite.persistent.settings import GroupKey
from eventstore_lite.records import RecordedEvent
from eventstore_lite.storage import EventStorage


class Source:
    def __init__(
        self, storage: EventStorage, key: GroupKey, event_filter: EventFilter | None
    ) -> None:
        self._storage = storage
        self._key = key
        self._filter = event_filter

    def read(self, first_position: int, limit: int) -> list[RecordedEvent]:
        if self._key.is_all:
            return self._storage.scan_all(first_position, False, limit)
        try:
            return self._storage.read_stream(self._key.stream, first_position, False, limit)
        except StorageError:
            # A stream that does not exist yet (or was deleted) has nothing to deliver.
            return []

    def position_of(self, record: RecordedEvent) -> int:
        return record.commit_position if self._key.is_all else record.stream_revision

    def wanted(self, record: RecordedEvent) -> bool:
        return self._filter is None or self._filter.matches(record)

    def read_at(self, commit_position: int) -> RecordedEvent | None:
        """The record at a commit position (a parked message being replayed)."""
        found = self._storage.scan_all(commit_position, False, 1)
        if found and found[0].commit_position == commit_position:
            return found[0]
        return None
