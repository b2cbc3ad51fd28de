"""Finding the events a batch cannot be written for, so that every other event is written.

A failed batch is cut in two, by stream while it holds several (half of its streams each), then
by revision within one stream, down to single events; every part that writes is done, and what
fails alone is the culprit. An event that fails alone after the writer read earlier revisions
of its stream back (a gap: those were parked, or are still on their way) is blamed precisely:
those earlier revisions are written alone first; if they fail, the event waits for them and the
reason names them; if they succeed, the event is tried once more, alone.

The stores' failures are never blamed on an event: they propagate, and nothing is acknowledged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from projector.batch_plan import BatchChanges
from projector.envelope import Envelope
from projector.failures import (
    Failure,
    Fault,
    UnprojectableError,
    classify,
    is_infrastructure,
    span,
)

T = TypeVar("T")
Item = tuple[T, Envelope]
Write = Callable[[list[Envelope]], Awaitable[BatchChanges]]
WriteRevisions = Callable[[str, range], Awaitable[BatchChanges]]
AfterWrite = Callable[[BatchChanges], Awaitable[None]]


@dataclass
class Outcome(Generic[T]):
    written: list[Item[T]] = field(default_factory=list)
    changes: list[BatchChanges] = field(default_factory=list)
    failed: list[tuple[T, Failure]] = field(default_factory=list)


def halves(group: Sequence[Item[T]]) -> list[list[Item[T]]]:
    """Two parts of a failed group: half of its streams each, or one stream's earlier and later
    revisions (the earlier half first, so the later one finds it applied)."""
    streams = list(dict.fromkeys(envelope.stream_name for _, envelope in group))
    if len(streams) > 1:
        first = set(streams[: len(streams) // 2])
        return [
            [item for item in group if item[1].stream_name in first],
            [item for item in group if item[1].stream_name not in first],
        ]
    ordered = sorted(group, key=lambda item: item[1].revision)
    middle = len(ordered) // 2
    return [ordered[:middle], ordered[middle:]]


async def write_isolating(
    items: Sequence[Item[T]],
    write: Write,
    write_revisions: WriteRevisions,
    after_write: AfterWrite | None = None,
) -> Outcome[T]:
    outcome: Outcome[T] = Outcome()
    pending = [list(items)] if items else []
    while pending:
        group = pending.pop()
        try:
            changes = await write([envelope for _, envelope in group])
        except Exception as error:
            if is_infrastructure(error):
                raise
            if len(group) > 1:
                pending.extend(reversed(halves(group)))
                continue
            blamed = await _blame(group[0][1], error, write, write_revisions)
            if isinstance(blamed, Failure):
                outcome.failed.append((group[0][0], blamed))
                continue
            changes = blamed
        if after_write is not None:
            await after_write(changes)
        outcome.written.extend(group)
        outcome.changes.append(changes)
    return outcome


async def _blame(
    envelope: Envelope, error: Exception, write: Write, write_revisions: WriteRevisions
) -> BatchChanges | Failure:
    """Why one event cannot be written, or its changes if it could be after all."""
    failure = classify(error)
    read_back = error.read_back if isinstance(error, UnprojectableError) else {}
    gap = read_back.get(envelope.stream_name)
    if gap is None or failure.hopeless:
        return failure
    try:
        await write_revisions(envelope.stream_name, gap)
    except Exception as earlier:
        if is_infrastructure(earlier):
            raise
        blocked = classify(earlier)
        return Failure(
            Fault.EVENT,
            f"{envelope.stream_name}@{envelope.revision} waits for"
            f" {span(envelope.stream_name, gap)}, which cannot be projected: {blocked.reason}",
            hopeless=blocked.hopeless,
        )
    try:
        return await write([envelope])
    except Exception as again:
        if is_infrastructure(again):
            raise
        return classify(again)
