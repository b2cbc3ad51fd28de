"""Rebuild into a fresh version while the active one keeps serving, then switch readers over."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal

import structlog
from kurrentdbclient import AsyncKurrentDBClient
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)

from orders_contracts.codec import MalformedEventError
from projector.batch_writer import BatchWriter
from projector.bulk_load import BulkLoader, write_unstored
from projector.envelope import Envelope
from projector.event_source import HeadTracker, from_recorded, read_all_events
from projector.isolation import write_isolating
from projector.memory_model import MemoryModel
from projector.progress import record_progress
from projector.versions import (
    Database,
    drop_version,
    ensure_collections,
    ensure_pointer,
    existing_versions,
    read_pointer,
    set_pointer,
)

log = structlog.get_logger("projector.rebuild")

PROGRESS_EVERY = 500

RebuildPhase = Literal["replaying", "writing", "catching_up", "switched"]


@dataclass(frozen=True, slots=True)
class RebuildProgress:
    phase: RebuildPhase
    version: int
    events_read: int
    commit_position: int
    head_commit_position: int
    events_per_second: float


# Told of the replay's progress: events read, position reached, head at the start, rate.
ReplayProgress = Callable[[int, int, int, float], None]


def _progress(enabled: bool) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[events]} events, {task.fields[rate]:.0f} events/s"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not enabled,
    )


async def replay_into_memory(
    eventstore: AsyncKurrentDBClient,
    *,
    chunk: int = 5000,
    show_progress: bool = False,
    after_chunk: Callable[[MemoryModel], Awaitable[None]] | None = None,
    on_progress: ReplayProgress | None = None,
) -> MemoryModel:
    """Catch-up read of $all (our streams) folded into memory, with a progress bar."""
    model = MemoryModel()
    head = await eventstore.get_commit_position()
    started = time.monotonic()
    seen = 0
    with _progress(show_progress) as progress:
        task = progress.add_task("rebuild", total=max(head, 1), events=0, rate=0.0)
        pending: list[Envelope] = []
        async for recorded in read_all_events(eventstore):
            try:
                pending.append(from_recorded(recorded))
            except MalformedEventError as error:
                model.broken_streams.add(recorded.stream_name)
                model.counts["parked"] += 1
                log.error("event not projected", stream=recorded.stream_name, error=repr(error))
            seen += 1
            if len(pending) >= chunk:
                model.apply(pending)
                pending = []
                if after_chunk is not None:
                    await after_chunk(model)
            if seen % PROGRESS_EVERY == 0:
                rate = seen / max(time.monotonic() - started, 1e-6)
                progress.update(task, completed=recorded.commit_position, events=seen, rate=rate)
                if on_progress is not None:
                    on_progress(seen, recorded.commit_position, head, rate)
        model.apply(pending)
        rate = seen / max(time.monotonic() - started, 1e-6)
        progress.update(task, completed=max(head, 1), events=seen, rate=rate)
        if on_progress is not None:
            on_progress(seen, model.last_commit_position, head, rate)
    return model


async def write_model(db: Database, version: int, model: MemoryModel) -> None:
    """The write stage of a rebuild: what the replay has not stored yet, in bulk."""
    await write_unstored(db, version, model)


async def catch_up(
    eventstore: AsyncKurrentDBClient,
    writer: BatchWriter,
    db: Database,
    version: int,
    after: int,
    *,
    batch_size: int = 1000,
) -> int:
    """Apply $all after a position with the live projector's guarded writes; the new position."""
    head = HeadTracker(eventstore, interval=0.0)
    while True:
        batch: list[Envelope] = []
        newest = after
        unreadable = 0
        async for recorded in read_all_events(eventstore, after=after, limit=batch_size):
            newest = max(newest, recorded.commit_position or 0)
            try:
                batch.append(from_recorded(recorded))
            except MalformedEventError as error:
                unreadable += 1
                log.error("event not projected", stream=recorded.stream_name, error=repr(error))
        if newest == after:
            return after
        counts = await _write_parking(writer, batch)
        counts["parked"] += unreadable
        after = newest
        lag = await head.lag(after, batch[-1].recorded_at if batch else None)
        await record_progress(db, version, counts, after, lag, datetime.now(UTC))


async def _write_parking(writer: BatchWriter, batch: list[Envelope]) -> Counter[str]:
    """Write a batch as the live projector does: an event that cannot be written is found by
    bisecting and left out with its reason, so one bad event cannot stop a rebuild."""
    outcome = await write_isolating(
        [(envelope, envelope) for envelope in batch], writer.write, writer.write_revisions
    )
    counts: Counter[str] = Counter()
    for changes in outcome.changes:
        counts += changes.counts
    for envelope, failure in outcome.failed:
        counts["parked"] += 1
        log.error(
            "event not projected",
            stream=envelope.stream_name,
            revision=envelope.revision,
            reason=failure.reason,
        )
    return counts


async def rebuild(
    eventstore: AsyncKurrentDBClient,
    writer_for: Callable[[int], BatchWriter],
    db: Database,
    *,
    show_progress: bool = False,
    grace: float = 1.0,
    chunk: int = 5000,
    on_progress: Callable[[RebuildProgress], None] | None = None,
) -> int:
    """Build the next version, switch readers to it, keep the previous one; the new version.
    ``on_progress`` hears of each stage, and of the replay every few hundred events."""
    await ensure_pointer(db)
    pointer = await read_pointer(db)
    assert pointer is not None
    version = max([pointer["version"], *await existing_versions(db)]) + 1
    await drop_version(db, version)
    # Indexes before the load: kept up by each bulk insert's own commit, where a build after
    # the load commits every entry on its own, which durable commits made 20 times slower.
    await ensure_collections(db, version)
    await set_pointer(db, {"building_version": version})
    log.info("rebuild started", version=version, serving=pointer["version"])

    last = RebuildProgress("replaying", version, 0, 0, 0, 0.0)

    def tell(progress: RebuildProgress) -> None:
        nonlocal last
        last = progress
        if on_progress is not None:
            on_progress(progress)

    def replayed(seen: int, position: int, head: int, rate: float) -> None:
        tell(RebuildProgress("replaying", version, seen, position, head, rate))

    loader = BulkLoader(db, version, datetime.now(UTC))
    try:
        model = await replay_into_memory(
            eventstore,
            chunk=chunk,
            show_progress=show_progress,
            after_chunk=loader.after_chunk,
            on_progress=replayed,
        )
    finally:
        await loader.close()
    tell(replace(last, phase="writing"))
    await write_model(db, version, model)
    lag = await HeadTracker(eventstore, interval=0.0).lag(model.last_commit_position, None)
    await record_progress(
        db, version, model.counts, model.last_commit_position, lag, datetime.now(UTC)
    )
    writer = writer_for(version)
    tell(replace(last, phase="catching_up"))
    position = await catch_up(eventstore, writer, db, version, model.last_commit_position)
    await switch_to(db, version, previous=pointer["version"])
    # Batches the live projectors began before the switch still commit to the old version.
    await asyncio.sleep(grace)
    position = await catch_up(eventstore, writer, db, version, position)
    tell(replace(last, phase="switched", commit_position=max(last.commit_position, position)))
    log.info("rebuild switched", version=version, previous=pointer["version"])
    return version


async def switch_to(db: Database, version: int, *, previous: int | None) -> None:
    await set_pointer(
        db,
        {
            "version": version,
            "previous_version": previous,
            "building_version": None,
            "switched_at": datetime.now(UTC),
        },
    )
