"""After the faults: what the event store holds for each acknowledged command, whether the read
models equal a clean replay field by field, and what `python -m projector verify` says."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Final

from kurrentdbclient import AsyncKurrentDBClient
from pymongo import AsyncMongoClient

from orders_contracts.codec import MalformedEventError, decode_metadata
from orders_contracts.read_models import PROJECTION_STATUS, collection_name
from projector.event_source import read_all_events
from projector.versions import active_version
from tests.faults.fault_stack import FaultStack
from tests.faults.ledger import Ledger
from tests.projector.projector_harness import Dump, clean_replay, dump
from write_service.idempotency import command_id

REPLAY_DATABASE: Final = "orders_clean_replay"
# After the load stops, the projector replicas get this long to reach the store's head.
CONVERGENCE_LIMIT_SECONDS: Final = 180.0
VERIFY_LIMIT_SECONDS: Final = 600.0

Doc = dict[str, Any]


@dataclass(frozen=True)
class Verification:
    command: str
    exit_code: int
    output: str


@dataclass(frozen=True)
class Audit:
    # Events in the store per command id, and the ids of the acknowledged commands.
    stored: Counter[str]
    acknowledged: dict[str, str]
    live: Dump
    replay: Dump
    verification: Verification
    # The projector's own counters (events applied, skipped, parked) per read model.
    progress: list[Doc]


async def _stored_command_ids(eventstore: AsyncKurrentDBClient) -> Counter[str]:
    found: Counter[str] = Counter()
    async for recorded in read_all_events(eventstore):
        try:
            found[decode_metadata(recorded.metadata).command_id] += 1
        except MalformedEventError:
            found["<event without our metadata>"] += 1
    return found


async def _converged_dump(mongo: AsyncMongoClient[Doc], database: str, expected: Dump) -> Dump:
    """The live read models once they equal the replay, or as they are when time runs out."""
    db = mongo[database]
    deadline = time.monotonic() + CONVERGENCE_LIMIT_SECONDS
    while True:
        live = await dump(db, await active_version(db))
        if live == expected or time.monotonic() > deadline:
            return live
        await asyncio.sleep(0.5)


def _verify(stack: FaultStack) -> Verification:
    """`python -m projector verify`, run as an operator runs it against the stack."""
    settings = stack.settings
    env = {
        **os.environ,
        "EVENTSTORE_URI": settings.eventstore_uri,
        "MONGO_URI": settings.mongo_uri,
        "MONGO_DATABASE": settings.mongo_database,
    }
    argv = [sys.executable, "-m", "projector", "verify"]
    try:
        done = subprocess.run(
            argv, env=env, capture_output=True, text=True, timeout=VERIFY_LIMIT_SECONDS
        )
    except subprocess.TimeoutExpired as error:
        return Verification("python -m projector verify", -1, f"no answer in {error.timeout:g}s")
    return Verification("python -m projector verify", done.returncode, done.stdout + done.stderr)


async def audit(stack: FaultStack, eventstore: AsyncKurrentDBClient, ledger: Ledger) -> Audit:
    stored = await _stored_command_ids(eventstore)
    acknowledged = {command_id(a.idempotency_key): a.stream for a in ledger.acknowledged}
    mongo: AsyncMongoClient[Doc] = AsyncMongoClient(stack.settings.mongo_uri, tz_aware=True)
    try:
        replay = await clean_replay(eventstore, mongo, REPLAY_DATABASE)
        live = await _converged_dump(mongo, stack.settings.mongo_database, replay)
        db = mongo[stack.settings.mongo_database]
        status = db[collection_name(PROJECTION_STATUS, await active_version(db))]
        progress = await status.find({}, {"updated_at": 0}).to_list(None)
    finally:
        await mongo.close()
    verification = await asyncio.to_thread(_verify, stack)
    return Audit(stored, acknowledged, live, replay, verification, progress)
