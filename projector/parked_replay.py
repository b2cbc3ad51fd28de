"""Replaying a parked event: read it again from the event store, apply it as a batch of one.

The write goes through the live projector's ``BatchWriter``: the same revision guards, gap
repair and transaction, so a replay racing the consumer (or another replay) counts the event
once. An event that still fails stays parked, with the new reason; one that applies takes every
parked revision of its stream up to it off the list (the writer applied those first).
"""

from __future__ import annotations

from dataclasses import dataclass

from kurrentdbclient import AsyncKurrentDBClient

from projector.batch_writer import BatchWriter
from projector.event_source import read_revisions
from projector.failures import UnprojectableError, describe, is_infrastructure
from projector.parked import ParkedEvent, ParkedEvents


@dataclass(frozen=True, slots=True)
class ReplayOutcome:
    parked_id: str
    applied: bool
    reason: str = ""


async def replay_parked(
    parked: ParkedEvents,
    eventstore: AsyncKurrentDBClient,
    writer: BatchWriter,
    event: ParkedEvent,
) -> ReplayOutcome:
    """The stores' own failures propagate (nothing changes); the event's are recorded."""
    revisions = range(event.revision, event.revision + 1)
    try:
        envelopes = await read_revisions(eventstore, event.stream_name, revisions)
        if not envelopes:
            raise UnprojectableError("the stream no longer returns this event")
        await writer.write(envelopes)
    except Exception as error:
        if is_infrastructure(error):
            raise
        reason = describe(error)
        await parked.failed_again(event, reason)
        return ReplayOutcome(event.id, False, reason)
    await parked.applied_through(event.stream_name, event.revision)
    return ReplayOutcome(event.id, True)
