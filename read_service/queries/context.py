"""What every query needs: the read store, the shared projection watcher, and what it answers.

Each query runs its reads inside ``async with ctx.reads() as ctx:``, so that all of them (the
token check and the answer) share one causally consistent session when reads may go to
secondaries (``ReadStore.causal``); with every read on the primary it changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Generic, TypeVar

from orders_contracts import read_models as rm
from read_service.consistency import ReadConsistency, consistency_violations, reach
from read_service.errors import FieldViolation
from read_service.progress_cache import ProgressCache
from read_service.projection_watcher import ProjectionWatcher
from read_service.read_store import Progress, ReadStore
from read_service.validation import raise_if_any

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Freshness:
    """How fresh an answer is (the core's ReadMetadata)."""

    stale: bool
    commit_position: int
    projected_at: datetime | None
    stream_revision: int | None = None


@dataclass(frozen=True, slots=True)
class Answer(Generic[T]):
    value: T
    freshness: Freshness


@dataclass(frozen=True, slots=True)
class Reached:
    """Where a query stands against its consistency token once it may read."""

    stale: bool
    floor: int = 0
    """A commit position the read models are known to include: the token's, once reached. The
    shared progress copy may be older than the document that showed the token was reached (the
    status is written after the batch commits), and an answer never claims less than it shows."""


NO_TOKEN = Reached(stale=False)


@dataclass(frozen=True, slots=True)
class QueryContext:
    store: ReadStore
    watcher: ProjectionWatcher
    progress: ProgressCache

    @asynccontextmanager
    async def reads(self) -> AsyncIterator[QueryContext]:
        """The context one query reads through (see the module's docstring)."""
        async with self.store.causal() as store:
            yield self if store is self.store else replace(self, store=store)

    def on_primary(self) -> QueryContext:
        """A context whose queries read only the primary, whatever the read preference."""
        return replace(self, store=self.store.on_primary())


async def prepare(
    ctx: QueryContext,
    violations: list[FieldViolation | None],
    consistency: ReadConsistency,
    *,
    wait_seconds: float,
    order_model: str = rm.ORDER_SUMMARIES,
) -> Reached:
    """Refuse a bad request (every bad field at once), then reach the token."""
    found = [v for v in violations if v is not None] + consistency_violations(consistency)
    raise_if_any(found)
    stale = await reach(
        ctx.store,
        ctx.watcher,
        ctx.progress,
        consistency,
        within_seconds=wait_seconds,
        order_model=order_model,
    )
    if stale or consistency.token is None:
        return Reached(stale)
    return Reached(stale, consistency.token.commit_position)


async def with_progress(
    ctx: QueryContext, model: str, query: Coroutine[Any, Any, T]
) -> tuple[T, Progress]:
    """Run a query and give the model's progress: usually from memory, else read alongside.

    A query reading elsewhere than the primary reads the progress first, in its session: the
    shared copy (the primary's) could claim more than a lagging member's answer shows, and a
    read before the answer's in one causal session never shows more than the answer does."""
    if ctx.store.reads_elsewhere:
        try:
            progress = await ctx.store.progress(model)
        except BaseException:
            query.close()
            raise
        return await query, progress
    known = ctx.progress.current(model)
    if known is not None:
        return await query, known
    result, progress = await asyncio.gather(
        query, ctx.progress.progress(model), return_exceptions=True
    )
    if isinstance(result, BaseException):
        raise result
    if isinstance(progress, BaseException):
        raise progress
    return result, progress


def freshness(
    reached: Reached,
    progress: Progress,
    document: rm.OrderSummaryDoc | rm.OrderDetailsDoc | rm.CustomerDoc | None = None,
) -> Freshness:
    position = max(progress.commit_position, reached.floor)
    if document is None:
        return Freshness(reached.stale, position, progress.updated_at)
    return Freshness(
        reached.stale,
        position,
        document.projected_at or progress.updated_at,
        stream_revision=document.revision,
    )
