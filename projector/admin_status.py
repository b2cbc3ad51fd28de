"""The status of every read model and of the group, read from MongoDB and the event store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kurrentdbclient import AsyncKurrentDBClient

from orders_contracts.read_models import ORDER_SUMMARIES, PROJECTION_STATUS, collection_name
from projector.admin_control import Control, Pause
from projector.admin_health import ModelState, model_state
from projector.event_source import HeadTracker
from projector.parked import ParkedEvents
from projector.progress import READ_MODELS
from projector.versions import Database, read_pointer


@dataclass(frozen=True, slots=True)
class ModelStatus:
    name: str
    version: int
    state: ModelState
    reason: str
    commit_position: int
    head_commit_position: int
    lag_events: int
    lag_seconds: float
    events_applied: int
    events_skipped: int
    events_parked_total: int
    parked_events: int
    updated_at: datetime | None


@dataclass(frozen=True, slots=True)
class ReplicaState:
    replica: str
    state: str
    reason: str
    seen_at: datetime


@dataclass(frozen=True, slots=True)
class GroupStatus:
    models: list[ModelStatus]
    replicas: list[ReplicaState]
    pause: Pause
    active_version: int
    building_version: int | None
    previous_version: int | None
    parked_events: int
    read_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def _replicas(pause: Pause, entries: dict[str, Any]) -> list[ReplicaState]:
    """Live replicas (by their control heartbeat), each in the state it last recorded."""
    found = []
    for report in pause.replicas:
        entry = entries.get(report.replica) or {}
        state = "paused" if report.paused else str(entry.get("state", "starting"))
        found.append(
            ReplicaState(report.replica, state, str(entry.get("reason") or ""), report.seen_at)
        )
    return found


class StatusReader:
    def __init__(
        self,
        db: Database,
        eventstore: AsyncKurrentDBClient,
        control: Control,
        parked: ParkedEvents,
        max_lag_events: int,
    ) -> None:
        self._db = db
        self._head = HeadTracker(eventstore, interval=0.25)
        self._control = control
        self._parked = parked
        self._max_lag = max_lag_events

    async def read(self, own_state: str | None = None) -> GroupStatus:
        """The group's status; with ``own_state``, the read models as one replica in that state
        sees them (its health), instead of as the live replicas do."""
        pointer = await read_pointer(self._db)
        version = 1 if pointer is None else pointer["version"]
        building = None if pointer is None else pointer.get("building_version")
        docs = {
            doc["_id"]: doc
            async for doc in self._db[collection_name(PROJECTION_STATUS, version)].find({})
        }
        pause = await self._control.read()
        parked_now = await self._parked.count()
        replicas = _replicas(pause, docs.get(ORDER_SUMMARIES, {}).get("replicas", {}))
        states = [own_state] if own_state is not None else [r.state for r in replicas]
        models = []
        for name in READ_MODELS:
            doc = docs.get(name, {})
            position = int(doc.get("last_commit_position", 0))
            lag = await self._head.lag(position, None)
            state, reason = model_state(
                paused=pause.paused,
                building_version=building,
                replica_states=[s for s in states if s != "paused"] or states,
                lag_events=lag.lag_events,
                max_lag_events=self._max_lag,
            )
            models.append(
                ModelStatus(
                    name=name,
                    version=version,
                    state=state,
                    reason=reason,
                    commit_position=position,
                    head_commit_position=lag.head_commit_position,
                    lag_events=lag.lag_events,
                    lag_seconds=float(doc.get("lag_seconds", 0.0)) if lag.lag_events else 0.0,
                    events_applied=int(doc.get("events_applied", 0)),
                    events_skipped=int(doc.get("events_skipped", 0)),
                    events_parked_total=int(doc.get("events_parked", 0)),
                    parked_events=parked_now,
                    updated_at=doc.get("updated_at"),
                )
            )
        return GroupStatus(
            models=models,
            replicas=replicas,
            pause=pause,
            active_version=version,
            building_version=building,
            previous_version=None if pointer is None else pointer.get("previous_version"),
            parked_events=parked_now,
        )
