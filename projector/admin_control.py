"""The group's pause, in one control document every replica follows.

Pausing is the group's, not a replica's: an operator who pauses expects nothing to move, and a
replica started while paused (a restart, a scale-up) must stay paused too. So the pause lives in
MongoDB (``projector_control``, written with majority concern), every replica reads it about
twice a second, and each reports there whether it has stopped taking events, with a heartbeat:
the status shows which live replicas have paused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from projector.durable import durable
from projector.versions import Database

CONTROL: Final = "projector_control"
CONSUMPTION: Final = "consumption"
# A replica that has not reported for this long is taken for gone (killed, not stopped).
LIVE_FOR: Final = timedelta(seconds=10)


@dataclass(frozen=True, slots=True)
class ReplicaReport:
    replica: str
    paused: bool
    seen_at: datetime


@dataclass(frozen=True, slots=True)
class Pause:
    paused: bool = False
    reason: str = ""
    changed_at: datetime | None = None
    replicas: tuple[ReplicaReport, ...] = ()
    """The live replicas, and whether each has stopped taking events."""

    @property
    def paused_replicas(self) -> list[str]:
        return [r.replica for r in self.replicas if r.paused]


def _pause_of(doc: dict[str, Any] | None, now: datetime) -> Pause:
    if doc is None:
        return Pause()
    replicas = tuple(
        ReplicaReport(name, bool(entry.get("paused")), entry["seen_at"])
        for name, entry in sorted(doc.get("replicas", {}).items())
        if isinstance(entry, dict) and now - entry["seen_at"] <= LIVE_FOR
    )
    return Pause(
        bool(doc.get("paused")), str(doc.get("reason", "")), doc.get("changed_at"), replicas
    )


class Control:
    def __init__(self, db: Database) -> None:
        self._collection = durable(db)[CONTROL]

    async def read(self) -> Pause:
        return _pause_of(await self._collection.find_one({"_id": CONSUMPTION}), datetime.now(UTC))

    async def pause(self, reason: str) -> Pause:
        await self._set({"paused": True, "reason": reason})
        return await self.read()

    async def resume(self) -> Pause:
        await self._set({"paused": False, "reason": ""})
        return await self.read()

    async def report(self, replica: str, paused: bool) -> None:
        await self._collection.update_one(
            {"_id": CONSUMPTION},
            {"$set": {f"replicas.{replica}": {"paused": paused, "seen_at": datetime.now(UTC)}}},
            upsert=True,
        )

    async def forget(self, replica: str) -> None:
        await self._collection.update_one(
            {"_id": CONSUMPTION}, {"$unset": {f"replicas.{replica}": ""}}
        )

    async def _set(self, fields: dict[str, Any]) -> None:
        await self._collection.update_one(
            {"_id": CONSUMPTION},
            {"$set": {**fields, "changed_at": datetime.now(UTC)}},
            upsert=True,
        )
