"""Duplicates, reordering, a crash between write and ack, two replicas: same documents as a clean
replay, field by field, analytics included."""

from __future__ import annotations

import asyncio
import random

import pytest

from projector.batch_plan import BatchChanges
from projector.consumer import BatchSettings
from projector.envelope import Envelope
from projector.event_source import from_recorded, read_all_events
from projector.subscription_group import GroupSettings
from tests.projector.projector_harness import (
    Dump,
    clean_replay,
    connect,
    dump,
    running_projector,
    status,
)
from tests.projector.projector_history import Recorded
from tests.waiting import wait_until


class CrashError(Exception):
    """The projector dies after its write is durable and before any ack is sent."""


def chaotic_deliveries(envelopes: list[Envelope], seed: int) -> list[list[Envelope]]:
    """Every event at least once, a third twice, shuffled within a window, in ragged batches."""
    rng = random.Random(seed)
    deliveries = [*envelopes, *rng.sample(envelopes, len(envelopes) // 3)]
    jittered = sorted(
        range(len(deliveries)),
        key=lambda i: (
            (i if i < len(envelopes) else rng.randrange(len(envelopes))) + rng.uniform(0, 80)
        ),
    )
    ordered = [deliveries[i] for i in jittered]
    batches = []
    while ordered:
        size = rng.randint(5, 120)
        batches.append(ordered[:size])
        ordered = ordered[size:]
    return batches


def assert_same(actual: Dump, expected: Dump) -> None:
    for model, docs in expected.items():
        assert len(actual[model]) == len(docs), model
        for got, want in zip(actual[model], docs, strict=True):
            assert got == want, f"{model}/{want['_id']}"


async def test_duplicated_reordered_batches_from_two_writers_match_a_clean_replay(
    history_uri: str, mongo_uri: str, mongo_db_name: str
) -> None:
    async with connect(history_uri, mongo_uri, mongo_db_name) as stores:
        expected = await clean_replay(stores.eventstore, stores.mongo, mongo_db_name + "_clean")
        envelopes = [from_recorded(r) async for r in read_all_events(stores.eventstore)]
        queue: asyncio.Queue[list[Envelope]] = asyncio.Queue()
        for batch in chaotic_deliveries(envelopes, seed=11):
            queue.put_nowait(batch)

        repaired = 0

        async def replica() -> None:
            nonlocal repaired
            writer = stores.writer()
            while not queue.empty():
                changes = await writer.write(queue.get_nowait())
                repaired += changes.counts["gap_repaired"]

        await asyncio.gather(replica(), replica())
        actual = await dump(stores.db)

    assert repaired > 0, "the deliveries should have left gaps to repair"
    assert_same(actual, expected)


@pytest.mark.timeout(120)
async def test_replicas_of_one_group_with_a_crash_between_write_and_ack_match_a_clean_replay(
    history_uri: str, mongo_uri: str, mongo_db_name: str, history: list[Recorded]
) -> None:
    group = GroupSettings(
        name="chaos", consumer_strategy="RoundRobin", message_timeout=2.0, max_retry_count=50
    )
    batch = BatchSettings(max_size=40, max_wait=0.01)
    written = 0

    async def crash_on_third_batch(changes: BatchChanges) -> None:
        nonlocal written
        written += 1
        if written == 3:
            raise CrashError

    async with connect(history_uri, mongo_uri, mongo_db_name) as stores:
        expected = await clean_replay(stores.eventstore, stores.mongo, mongo_db_name + "_clean")
        last_revisions = {d["_id"]: d["revision"] for d in expected["order_summaries"]}

        async def summaries_complete() -> bool:
            docs = await stores.db["order_summaries_v1"].find({}, {"revision": 1}).to_list(None)
            return {d["_id"]: d["revision"] for d in docs} == last_revisions

        async def nothing_in_flight() -> bool:
            info = await stores.eventstore.get_subscription_info(group.name)
            return info.total_in_flight_messages == 0

        async with (
            running_projector(stores, group, batch, after_write=crash_on_third_batch) as doomed,
            running_projector(stores, group, batch),
        ):
            with pytest.raises(CrashError):
                await asyncio.wait_for(doomed, 30)
            async with running_projector(stores, group, batch):
                await wait_until(summaries_complete, "every order at its last revision")
                # The crashed batch's redeliveries come after that, and must stay no-ops.
                await wait_until(nothing_in_flight, "every delivery acknowledged")
        actual = await dump(stores.db)
        progress = await status(stores.db)

    assert progress["events_skipped"] > 0, "the crashed batch should have been redelivered"
    assert_same(actual, expected)
