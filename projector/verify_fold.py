"""The read models as the events say they should be, folded with the projector's own code.

Each stream is folded up to the revision its stored documents claim, not to its head: while the
live projector runs, a document behind its stream is late, not wrong. Streams whose first
missing event is older than a threshold are noted as behind, with those events, so a repair
can bring them to their head.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from kurrentdbclient import AsyncKurrentDBClient

from orders_contracts.codec import MalformedEventError
from orders_contracts.read_models import CUSTOMERS, ORDER_DETAILS, ORDER_SUMMARIES
from orders_contracts.streams import customer_stream, order_stream
from projector.envelope import Envelope
from projector.event_source import from_recorded, read_all_events
from projector.memory_model import MemoryModel
from projector.verify_snapshot import StoredModel

FOLD_CHUNK: Final = 5000


@dataclass(frozen=True)
class Behind:
    stream: str
    revision: int
    """What the stored documents reflect (-1: none)."""
    head_revision: int
    seconds: float
    """Age of the first event the documents miss, when the snapshot was taken."""


@dataclass
class Folded:
    model: MemoryModel
    """Expected documents, each stream at the revision its stored documents claim."""
    heads: dict[str, int] = field(default_factory=dict)
    behind: dict[str, Behind] = field(default_factory=dict)
    catch_up: list[Envelope] = field(default_factory=list)
    """The events the behind streams miss, in order (up to an undecodable one)."""
    streams_pending: int = 0
    """Streams whose documents miss events, however recent: the live projector's lag."""


def claimed_revisions(stored: StoredModel) -> dict[str, int]:
    """Per stream, the revision its stored documents claim: an order's summary and details are
    written together, so the greater of the two is what both should show."""
    claims: dict[str, int] = {}
    for base, stream_of in (
        (ORDER_SUMMARIES, order_stream),
        (ORDER_DETAILS, order_stream),
        (CUSTOMERS, customer_stream),
    ):
        for doc_id in stored.docs(base):
            revision = stored.revision_of(base, doc_id)
            if revision is not None:
                stream = stream_of(doc_id)
                claims[stream] = max(claims.get(stream, -1), revision)
    return claims


async def fold_expected(
    eventstore: AsyncKurrentDBClient, stored: StoredModel, *, max_behind: float
) -> Folded:
    """One catch-up read of $all, read after the snapshot so it holds every event the stored
    documents reflect."""
    claims: Mapping[str, int] = claimed_revisions(stored)
    folded = Folded(MemoryModel())
    undecodable: set[str] = set()
    pending: list[Envelope] = []
    async for recorded in read_all_events(eventstore):
        stream, revision = recorded.stream_name, recorded.stream_position
        folded.heads[stream] = revision
        claimed = claims.get(stream, -1)
        if revision == claimed + 1:
            folded.streams_pending += 1
            at = recorded.recorded_at
            seconds = 0.0 if at is None else (stored.taken_at - at).total_seconds()
            if seconds > max_behind:
                folded.behind[stream] = Behind(stream, claimed, revision, seconds)
        if stream in undecodable:
            continue
        try:
            envelope = from_recorded(recorded)
        except MalformedEventError:
            # The projector parks such an event and its stream stops there; so do the fold and
            # a repair, and documents claiming more than that show as divergent.
            undecodable.add(stream)
            continue
        if revision <= claimed:
            pending.append(envelope)
            if len(pending) >= FOLD_CHUNK:
                folded.model.apply(pending)
                pending = []
        elif stream in folded.behind:
            folded.catch_up.append(envelope)
    folded.model.apply(pending)
    for stream, behind in folded.behind.items():
        folded.behind[stream] = Behind(
            stream, behind.revision, folded.heads[stream], behind.seconds
        )
    return folded
