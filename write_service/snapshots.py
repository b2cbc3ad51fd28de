"""What the handler knows of a stream: its revision, decision state and the commands it holds.

A snapshot is immutable; a bounded LRU keeps the latest one per stream so that most commands
need no read at all. A cached snapshot may be stale when other writers appended since: the
append's expected revision catches that, and the handler then catches up from the store.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from kurrentdbclient import RecordedEvent

from orders_contracts.events import CustomerRegistered, Event, OrderPlaced
from write_service.domain.decider import ForeignEventError, State, evolve
from write_service.stream_records import decode, unreadable

NO_REVISION: Final = -1


@dataclass(frozen=True, slots=True)
class CommandRecord:
    """A command found in a stream: enough to answer its retry with the original response."""

    payload_hash: str
    events: tuple[Event, ...]
    state: State
    revision: int
    commit_position: int


@dataclass(frozen=True, slots=True)
class Snapshot:
    stream: str
    state: State
    # Revision of the last event; NO_REVISION while the stream does not exist.
    revision: int = NO_REVISION
    commands: Mapping[str, CommandRecord] = field(default_factory=lambda: MappingProxyType({}))


def fold_records(snapshot: Snapshot, records: Iterable[RecordedEvent]) -> Snapshot:
    """The snapshot after the stored records that follow it.

    Raises StreamUnreadableError for a record that does not decode or does not fit the stream.
    """
    state, revision = snapshot.state, snapshot.revision
    commands = dict(snapshot.commands)
    for record in records:
        event, metadata = decode(record)
        opens = isinstance(event, OrderPlaced | CustomerRegistered)
        if opens != (revision == NO_REVISION):
            where = "is not the first event" if opens else "is the first event but opens nothing"
            raise unreadable(record, f"{where} of the stream")
        try:
            state = evolve(state, event)
        except ForeignEventError as error:
            raise unreadable(
                record, f"is an event of another kind of aggregate: {error}"
            ) from error
        revision = record.stream_position
        if metadata is not None:
            earlier = commands.get(metadata.command_id)
            events = (*earlier.events, event) if earlier else (event,)
            commands[metadata.command_id] = CommandRecord(
                metadata.payload_hash, events, state, revision, record.commit_position
            )
    return Snapshot(snapshot.stream, state, revision, MappingProxyType(commands))


def fold_appended(
    snapshot: Snapshot,
    command_id: str,
    payload_hash: str,
    events: Iterable[Event],
    commit_position: int,
) -> tuple[Snapshot, CommandRecord]:
    """The snapshot after our own successful append, and the record of that command."""
    state, revision, appended = snapshot.state, snapshot.revision, []
    for event in events:
        state, revision = evolve(state, event), revision + 1
        appended.append(event)
    record = CommandRecord(payload_hash, tuple(appended), state, revision, commit_position)
    commands = MappingProxyType({**snapshot.commands, command_id: record})
    return Snapshot(snapshot.stream, state, revision, commands), record


class SnapshotCache:
    """The latest known snapshot of the most recently used streams, at most ``capacity``."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._snapshots: OrderedDict[str, Snapshot] = OrderedDict()

    def get(self, stream: str) -> Snapshot | None:
        snapshot = self._snapshots.get(stream)
        if snapshot is not None:
            self._snapshots.move_to_end(stream)
        return snapshot

    def put(self, snapshot: Snapshot) -> None:
        current = self._snapshots.get(snapshot.stream)
        # Concurrent calls may finish out of order: never replace a newer snapshot by an older.
        if current is not None and current.revision > snapshot.revision:
            return
        self._snapshots[snapshot.stream] = snapshot
        self._snapshots.move_to_end(snapshot.stream)
        while len(self._snapshots) > self._capacity:
            self._snapshots.popitem(last=False)

    def drop(self, stream: str) -> None:
        self._snapshots.pop(stream, None)

    def __len__(self) -> int:
        return len(self._snapshots)
