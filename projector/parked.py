"""The parked events, kept in MongoDB so that an operator can list and replay them.

The consumer parks an event in the event store's consumer group (which keeps it out of the
way); the group's parked queue is not something an operator can query by stream or reason, so
each parked event is also recorded here, durably, before the consumer nacks it. A document per
event (``<stream>@<revision>``), unversioned: a parked event is missing from every version.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from kurrentdbclient import RecordedEvent
from pymongo import ASCENDING

from projector.durable import durable
from projector.failures import Failure
from projector.versions import Database

PARKED_EVENTS: Final = "parked_events"

# True when the event was not parked before.
OnParked = Callable[[RecordedEvent, Failure], Awaitable[bool]]
"""Called by the consumer with an event it is about to park, and why."""


@dataclass(frozen=True, slots=True)
class ParkedEvent:
    stream_name: str
    revision: int
    commit_position: int
    event_id: str
    event_type: str
    reason: str
    parked_at: datetime
    retry_count: int = 0
    replay_attempts: int = 0
    last_replayed_at: datetime | None = None

    @property
    def id(self) -> str:
        return parked_id(self.stream_name, self.revision)


def parked_id(stream_name: str, revision: int) -> str:
    return f"{stream_name}@{revision}"


def split_id(value: str) -> tuple[str, int] | None:
    """``(stream, revision)`` of a parked event's id, None when it is not one."""
    stream, separator, revision = value.rpartition("@")
    if not (separator and stream and revision.isdigit()):
        return None
    return stream, int(revision)


def _from_doc(doc: dict[str, Any]) -> ParkedEvent:
    return ParkedEvent(
        stream_name=doc["stream_name"],
        revision=int(doc["revision"]),
        commit_position=int(doc["commit_position"]),
        event_id=doc["event_id"],
        event_type=doc["event_type"],
        reason=doc["reason"],
        parked_at=doc["parked_at"],
        retry_count=int(doc.get("retry_count", 0)),
        replay_attempts=int(doc.get("replay_attempts", 0)),
        last_replayed_at=doc.get("last_replayed_at"),
    )


class ParkedEvents:
    def __init__(self, db: Database) -> None:
        self._collection = durable(db)[PARKED_EVENTS]

    async def ensure_indexes(self) -> None:
        await self._collection.create_index([("commit_position", ASCENDING)], name="position")

    async def record(self, recorded: RecordedEvent, failure: Failure) -> bool:
        """Idempotent: an event parked again (redelivered, or by another replica) keeps its
        first parking time and takes the newest reason. True when it was not parked before."""
        now = datetime.now(UTC)
        result = await self._collection.update_one(
            {"_id": parked_id(recorded.stream_name, recorded.stream_position)},
            {
                "$set": {
                    "stream_name": recorded.stream_name,
                    "revision": recorded.stream_position,
                    "commit_position": recorded.commit_position or 0,
                    "event_id": str(recorded.id),
                    "event_type": recorded.type,
                    "reason": failure.reason,
                    "retry_count": recorded.retry_count or 0,
                },
                "$setOnInsert": {"parked_at": now, "replay_attempts": 0},
            },
            upsert=True,
        )
        return result.upserted_id is not None

    async def count(self) -> int:
        return await self._collection.count_documents({})

    async def page(self, after_position: int, size: int) -> list[ParkedEvent]:
        """Up to ``size`` parked events after a commit position, in commit-position order."""
        cursor = (
            self._collection.find({"commit_position": {"$gt": after_position}})
            .sort([("commit_position", ASCENDING), ("_id", ASCENDING)])
            .limit(size)
        )
        return [_from_doc(doc) async for doc in cursor]

    async def get(self, stream_name: str, revision: int) -> ParkedEvent | None:
        doc = await self._collection.find_one({"_id": parked_id(stream_name, revision)})
        return None if doc is None else _from_doc(doc)

    async def all(self) -> list[ParkedEvent]:
        cursor = self._collection.find({}).sort([("commit_position", ASCENDING)])
        return [_from_doc(doc) async for doc in cursor]

    async def applied_through(self, stream_name: str, revision: int) -> None:
        """The stream is applied up to ``revision``: its parked events up to it are not."""
        await self._collection.delete_many(
            {"stream_name": stream_name, "revision": {"$lte": revision}}
        )

    async def failed_again(self, event: ParkedEvent, reason: str) -> None:
        await self._collection.update_one(
            {"_id": event.id},
            {
                "$set": {"reason": reason, "last_replayed_at": datetime.now(UTC)},
                "$inc": {"replay_attempts": 1},
            },
        )
