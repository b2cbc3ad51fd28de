"""All subscription groups of the server: their definitions, durable state and run time."""

from __future__ import annotations

from dataclasses import replace

from eventstore_lite.persistent.consumers import Consumer, Dropped
from eventstore_lite.persistent.errors import (
    GroupAlreadyExistsError,
    GroupFailedError,
    GroupNotFoundError,
)
from eventstore_lite.persistent.group import SubscriptionGroup
from eventstore_lite.persistent.settings import (
    END,
    GroupDefinition,
    GroupKey,
    GroupSettings,
    settings_problem,
)
from eventstore_lite.persistent.store import GroupExistsError, GroupStore
from eventstore_lite.storage import EventStorage


class GroupRegistry:
    def __init__(self, storage: EventStorage) -> None:
        self._storage = storage
        self._store = GroupStore(storage.connection)
        self._groups: dict[GroupKey, SubscriptionGroup] = {
            stored.definition.key: SubscriptionGroup(
                stored.definition, stored.checkpoint, storage, self._store
            )
            for stored in self._store.load()
        }

    @property
    def store(self) -> GroupStore:
        return self._store

    def get(self, key: GroupKey) -> SubscriptionGroup:
        group = self._groups.get(key)
        if group is None:
            raise GroupNotFoundError(key)
        return group

    def groups(self, stream: str | None) -> list[SubscriptionGroup]:
        return [g for k, g in self._groups.items() if stream is None or k.stream == stream]

    def create(self, definition: GroupDefinition) -> None:
        definition = self._checked(definition)
        if definition.key in self._groups:
            raise GroupAlreadyExistsError(definition.key)
        try:
            self._store.insert(definition)
        except GroupExistsError as error:
            raise GroupAlreadyExistsError(definition.key) from error
        self._groups[definition.key] = SubscriptionGroup(
            definition, None, self._storage, self._store
        )

    async def update(self, key: GroupKey, settings: GroupSettings, start_from: int) -> None:
        old = self.get(key)
        definition = self._checked(
            replace(old.definition, settings=settings, start_from=start_from)
        )
        self._store.update(definition)
        # Like the real server, an update restarts the group: consumers are dropped and
        # everything not yet checkpointed is delivered again.
        await old.close(Dropped("CANCELLED", _dropped(key)))
        checkpoint = old.stats().last_checkpoint
        self._groups[key] = SubscriptionGroup(definition, checkpoint, self._storage, self._store)

    async def delete(self, key: GroupKey) -> None:
        group = self.get(key)
        del self._groups[key]
        await group.close(Dropped("NOT_FOUND", _missing(key)))
        self._store.delete(key)

    def connect(
        self,
        key: GroupKey,
        max_in_flight: int,
        peer: str,
        connection_name: str,
        structured_ids: bool,
    ) -> tuple[SubscriptionGroup, Consumer]:
        group = self.get(key)
        return group, group.connect(max_in_flight, peer, connection_name, structured_ids)

    async def close(self) -> None:
        for group in self._groups.values():
            await group.close(Dropped("UNAVAILABLE", "Server is shutting down"))

    def _checked(self, definition: GroupDefinition) -> GroupDefinition:
        """The definition with "end" resolved, or GroupFailedError with the real server's reason."""
        key = definition.key
        problem = settings_problem(definition.settings)
        if problem is not None:
            raise GroupFailedError(problem)
        head = self._storage.head_position()
        start = definition.start_from
        if key.is_all:
            if start > head:
                raise GroupFailedError(
                    "Invalid Start From position: commit position must be less than or equal"
                    " to the last commit position in the transaction file."
                )
            first = head + 1 if start == END else start
        else:
            first = self._storage.stream_revision(key.stream) + 1 if start == END else start
        return replace(definition, first_position=first)


def _missing(key: GroupKey) -> str:
    return f"Subscription group {key.group} on stream {key.stream} does not exist."


def _dropped(key: GroupKey) -> str:
    return f"Subscription group {key.group} on stream {key.stream} was dropped."
