"""One live query from its first message to its end: the current state (or what a resume
missed), a caught-up mark, then each change the hub hands it, never one twice or out of order.

What the stream has sent is kept as the last revision per order (``sent``): a state is sent only
if it is newer, and says which revision it follows. That one rule makes the start race-free (the
watch subscribes before its first read, so a change that the read already shows is skipped),
makes resyncs exact, and makes a resume neither repeat nor miss a change.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import Enum

from orders_contracts import read_models as rm
from read_service.consistency import ReadConsistency
from read_service.errors import FieldViolation
from read_service.queries.context import Freshness, QueryContext, Reached, freshness, prepare
from read_service.read_store import Progress
from read_service.watch_hub import Subscription, WatchHub

_NOTHING_PROJECTED = Progress(commit_position=0, updated_at=None)

Read = Callable[[], Awaitable[list[rm.OrderSummaryDoc]]]


class Kind(Enum):
    SNAPSHOT = "snapshot"
    CHANGE = "change"
    RESYNC = "resync"
    CAUGHT_UP = "caught_up"


@dataclass(frozen=True, slots=True)
class Update:
    """One message of a watch stream, in the query core's terms."""

    kind: Kind
    summary: rm.OrderSummaryDoc | None = None
    previous_revision: int | None = None
    freshness: Freshness | None = None


CAUGHT_UP = Update(Kind.CAUGHT_UP)


@dataclass(frozen=True, slots=True)
class Watch:
    """What one stream watches and where it starts."""

    subscribe: Callable[[], Subscription]
    read: Read
    violations: list[FieldViolation | None]
    consistency: ReadConsistency
    resume: Mapping[str, int]
    wait_seconds: float
    check: Callable[[list[rm.OrderSummaryDoc]], None] = lambda _: None
    """Refuses the first read's answer (not found, another customer's order) by raising."""


async def updates(ctx: QueryContext, hub: WatchHub, watch: Watch) -> AsyncIterator[Update]:
    """The stream's messages; the subscription ends with it."""
    subscription = watch.subscribe()
    try:
        reached = await prepare(
            ctx, watch.violations, watch.consistency, wait_seconds=watch.wait_seconds
        )
        # Taken after the wait, so that it holds what the wait waited for. What it shares with
        # the subscription (every change since the subscription) is sent once: see ``sent``.
        replays = {
            order_id: hub.changes_after(order_id, revision)
            for order_id, revision in watch.resume.items()
        }
        sent: dict[str, int] = dict(watch.resume)
        current = await watch.read()
        watch.check(current)
        for changes in replays.values():
            for summary in changes or ():
                update = _next(ctx, sent, summary, Kind.CHANGE)
                if update is not None:
                    yield update
        for summary in current:
            if replays.get(summary.order_id) is not None:
                continue  # the subscription brings what the history did not
            kind = Kind.RESYNC if summary.order_id in sent else Kind.SNAPSHOT
            update = _next(ctx, sent, summary, kind, reached)
            if update is not None:
                yield update
        yield CAUGHT_UP
        while True:
            change = await subscription.next()
            if change is not None:
                update = _next(ctx, sent, change, Kind.CHANGE)
                if update is not None:
                    yield update
                continue
            for summary in await watch.read():
                update = _next(ctx, sent, summary, Kind.RESYNC)
                if update is not None:
                    yield update
    finally:
        hub.unsubscribe(subscription)


def _next(
    ctx: QueryContext,
    sent: dict[str, int],
    summary: rm.OrderSummaryDoc,
    kind: Kind,
    reached: Reached | None = None,
) -> Update | None:
    previous = sent.get(summary.order_id)
    if previous is not None and summary.revision <= previous:
        return None
    sent[summary.order_id] = summary.revision
    progress = ctx.progress.current(rm.ORDER_SUMMARIES) or _NOTHING_PROJECTED
    # The document is known to be projected: the answer never claims less than it shows.
    floor = Reached(
        stale=reached.stale if reached is not None else False,
        floor=summary.commit_position,
    )
    return Update(kind, summary, previous, freshness(floor, progress, summary))
