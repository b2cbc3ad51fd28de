"""Reads a group's source forward, page by page, into its buffer of fresh messages."""

from __future__ import annotations

from collections import deque

from eventstore_lite.persistent.checkpoints import CheckpointTracker
from eventstore_lite.persistent.messages import Message, resolve
from eventstore_lite.persistent.settings import GroupDefinition
from eventstore_lite.persistent.source import Source
from eventstore_lite.records import RecordedEvent
from eventstore_lite.storage import EventStorage

# Pages scanned per call, so a selective filter over a long log cannot keep the event
# loop from serving everyone else.
_PAGES_PER_CALL = 16


class Reader:
    def __init__(
        self, storage: EventStorage, definition: GroupDefinition, checkpoint: int | None
    ) -> None:
        settings = definition.settings
        self.source = Source(storage, definition.key, definition.event_filter)
        self.caught_up = False
        self.last_known = checkpoint
        self._storage = storage
        self._resolve_links = settings.resolve_links
        self._page_size = max(1, settings.read_batch_size)
        self._cursor = definition.first_position if checkpoint is None else checkpoint + 1
        self._read_head = -1

    def resolve(self, record: RecordedEvent) -> tuple[RecordedEvent, RecordedEvent | None]:
        if self._resolve_links:
            return resolve(self._storage, record)
        return record, None

    def fill(self, fresh: deque[Message], room: int, tracker: CheckpointTracker) -> bool:
        """Append up to `room` new messages to `fresh`; True when there is more to read
        right away (the page budget ran out before the end of the source)."""
        head = self._storage.head_position()
        if self.caught_up and head == self._read_head:
            return False
        self._read_head = head
        source, limit = self.source, self._page_size
        for _ in range(_PAGES_PER_CALL):
            page = source.read(self._cursor, limit)
            for record in page:
                if room <= 0:
                    # The rest of the page is read again once consumers make room.
                    self.caught_up = False
                    return False
                position = source.position_of(record)
                if source.wanted(record):
                    event, link = self.resolve(record)
                    fresh.append(Message(event, link, tracker.read(position)))
                    self.last_known = position
                    room -= 1
                else:
                    tracker.skip(position)
                self._cursor = position + 1
            self.caught_up = len(page) < limit
            if self.caught_up:
                return False
        return True
