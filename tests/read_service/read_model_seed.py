"""Projects test histories into MongoDB through the projector's own batch writer.

For read-service tests that need precise control over what is projected when (e.g. a token that
is not reached yet): the test decides the batches, the projector's BatchWriter and
record_progress do the writing, so document shapes and visibility are the projector's own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import AsyncMongoClient

from projector.batch_writer import BatchWriter
from projector.envelope import Envelope
from projector.event_source import Lag
from projector.progress import record_progress
from projector.versions import active_version
from tests.read_service.order_history import History

Doc = dict[str, Any]


async def project(
    client: AsyncMongoClient[Doc],
    database: str,
    history: History,
    envelopes: Sequence[Envelope],
    *,
    record: bool = True,
) -> None:
    """Apply one batch, then record progress, as the projector's consumer does (``record``
    False: the batch's progress is not recorded yet, as within the progress interval)."""
    if not envelopes:
        return

    async def read_stream(stream: str, revisions: range) -> list[Envelope]:
        return [e for e in history.streams[stream] if e.revision in revisions]

    writer = BatchWriter(client, database, read_stream)
    changes = await writer.write(envelopes)
    if not record:
        return
    db = client[database]
    counts: Counter[str] = Counter(changes.counts)
    position = max(e.commit_position for e in envelopes)
    lag = Lag(head_commit_position=history.position, lag_events=0, lag_seconds=0.0)
    await record_progress(db, await active_version(db), counts, position, lag, datetime.now(UTC))
