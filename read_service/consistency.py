"""Read-your-writes: has the projection reached the caller's consistency token yet?

A token names a stream and the revision of the caller's write. It is reached when the document
of that stream reflects that revision (`order-X` -> the order's document, `customer-X` -> the
customer's document). That check is exact even when the projector applies events out of
order, and it covers every other read model too, because the projector commits all changes of a
batch (every collection, analytics and progress) in one transaction. When the query's reads may
go to secondaries (``ReadStore.causal``), they are made causally after the read that saw the
token reached, so they see that transaction wherever they are served.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from orders_contracts import read_models as rm
from orders_contracts.streams import CUSTOMER_STREAM_PREFIX, ORDER_STREAM_PREFIX
from read_service.errors import ConsistencyNotReachedError, FieldViolation
from read_service.progress_cache import ProgressCache
from read_service.projection_watcher import ProjectionWatcher
from read_service.read_store import ReadStore
from read_service.validation import id_violation

TOKEN_STREAM_FIELD = "consistency.min_token.stream"


@dataclass(frozen=True, slots=True)
class ConsistencyToken:
    stream: str
    revision: int
    commit_position: int


@dataclass(frozen=True, slots=True)
class ReadConsistency:
    """What the caller asked for; `token` None means "as the read models are now"."""

    token: ConsistencyToken | None = None
    allow_stale: bool = False


def consistency_violations(consistency: ReadConsistency) -> list[FieldViolation]:
    if consistency.token is None:
        return []
    stream = consistency.token.stream
    for prefix in (ORDER_STREAM_PREFIX, CUSTOMER_STREAM_PREFIX):
        if stream.startswith(prefix):
            violation = id_violation(TOKEN_STREAM_FIELD, stream.removeprefix(prefix))
            return [] if violation is None else [violation]
    return [
        FieldViolation(TOKEN_STREAM_FIELD, "must name an order or customer stream ('order-<id>')")
    ]


async def reach(
    store: ReadStore,
    watcher: ProjectionWatcher,
    progress_copy: ProgressCache,
    consistency: ReadConsistency,
    *,
    within_seconds: float,
    order_model: str = rm.ORDER_SUMMARIES,
) -> bool:
    """Make sure the read models reflect the token; return whether the answer will be stale.

    `order_model` is the collection the query reads for an order stream, so a single-order read
    compares the very document it answers from. The wait ends `within_seconds` after the call,
    however long the reads before it take.
    """
    deadline = asyncio.get_running_loop().time() + within_seconds
    token = consistency.token
    if token is None:
        return False
    if token.stream.startswith(ORDER_STREAM_PREFIX):
        model, identifier = order_model, token.stream.removeprefix(ORDER_STREAM_PREFIX)
    else:
        model, identifier = rm.CUSTOMERS, token.stream.removeprefix(CUSTOMER_STREAM_PREFIX)
    if consistency.allow_stale or within_seconds <= 0:
        revision = await store.revision_of(model, identifier)
        reached = revision is not None and revision >= token.revision
        if reached or consistency.allow_stale:
            return not reached
    else:
        seen = await watcher.wait_for_revision(model, identifier, token.revision, deadline)
        if seen is not None:
            # The shared check read the primary; the answer must not come from an older state.
            store.read_after(seen)
            return False
    # The shared copy of the progress: hundreds of waiters giving up together read it once.
    progress = await progress_copy.progress(model)
    raise ConsistencyNotReachedError(
        token.stream, token.revision, token.commit_position, progress.commit_position
    )
