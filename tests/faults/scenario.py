"""The fault scenario: the whole system under load, its parts killed with SIGKILL and started
again one after the other, and what the callers saw and the stores hold afterwards."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from kurrentdbclient import AsyncKurrentDBClient

from projector.stale_sessions import KILLED
from tests.faults.audit import Audit, audit
from tests.faults.fault_stack import (
    EVENT_STORE,
    PROJECTOR,
    READ_SERVICE,
    SECANTUS,
    SECOND_PROJECTOR,
    WRITE_SERVICE,
    FaultStack,
    plan_fault_stack,
)
from tests.faults.ledger import Ledger
from tests.faults.load import Load, running_load

FAULTS: Final = (EVENT_STORE, SECANTUS, PROJECTOR, WRITE_SERVICE, READ_SERVICE)
# How long a part may take to serve again before the suite calls it not recovered. Generous:
# a liveness bound on a loaded 2-core machine, not a performance target.
RECOVERY_LIMIT_SECONDS: Final = 120.0
PROGRESS_LIMIT_SECONDS: Final = 180.0
STACK_ENV: Final = {
    # Quiet services: a log line per call would cost the loaded machine more than the load.
    "LOG_LEVEL": "WARNING",
    # Events in flight at a killed projector replica come back to the group after this long.
    "PROJECTOR_MESSAGE_TIMEOUT": "5",
}
GROUP: Final = "orders-projector"


@dataclass(frozen=True)
class FaultOptions:
    rounds: int
    commands_between_faults: int
    commands_per_second: float

    @classmethod
    def from_environment(cls) -> FaultOptions:
        """`make test` runs the short version; `make faults` sets more rounds and commands."""
        return cls(
            rounds=int(os.environ.get("FAULT_ROUNDS") or 1),
            commands_between_faults=int(os.environ.get("FAULT_COMMANDS_BETWEEN") or 30),
            commands_per_second=float(os.environ.get("FAULT_COMMANDS_PER_SECOND") or 30),
        )


@dataclass(frozen=True)
class Recovery:
    part: str
    round: int
    seconds: float | None
    measured: str
    # Wall-clock time of the kill, to match a divergence in the read models with its fault.
    killed_at: datetime


@dataclass(frozen=True)
class FaultRun:
    recoveries: list[Recovery]
    ledger: Ledger
    unexpected_exits: list[str]
    audit: Audit
    stalled: str
    # Sessions of killed replicas that the surviving or restarted replicas ended, by the reason
    # logged ("restart": found at a replica's start; "heartbeat": found by the periodic look).
    sessions_killed: dict[str, int]


_MEASURED: Final = {
    EVENT_STORE: "kill -> first command acknowledged",
    SECANTUS: "kill -> first query that waited for a token answered",
    PROJECTOR: "kill -> replica back in the group and a token query answered",
    WRITE_SERVICE: "kill -> first command acknowledged",
    READ_SERVICE: "kill -> first query answered",
}


async def _until_async(
    check: Callable[[], Awaitable[bool]], stack: FaultStack, within: float = RECOVERY_LIMIT_SECONDS
) -> bool:
    """Wait for a condition, restarting meanwhile any part that ended on its own."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            return False
        await asyncio.to_thread(stack.restart_exited)
        await asyncio.sleep(0.1)
    return True


async def _until(
    check: Callable[[], bool], stack: FaultStack, within: float = RECOVERY_LIMIT_SECONDS
) -> bool:
    async def checked() -> bool:
        return check()

    return await _until_async(checked, stack, within)


async def _group_members(eventstore: AsyncKurrentDBClient) -> frozenset[str]:
    """The peer addresses of the projector replicas connected to the group."""
    try:
        info = await eventstore.get_subscription_info(GROUP, timeout=5)
    except Exception:  # the store itself may be starting
        return frozenset()
    return frozenset(connection.from_ for connection in info.connections)


def _first_success(ledger: Ledger, key: str, since: float) -> float | None:
    """When the first call through the part `key` that was sent after `since` succeeded."""
    if key in (EVENT_STORE, WRITE_SERVICE):
        return ledger.first_success(since, command=True)
    # Reads of SecantusDB and a projector's writes show in queries that wait for a token,
    # which the read service never answers from its cache.
    return ledger.first_success(since, command=False, tokens_only=key != READ_SERVICE)


async def _recovery_moment(
    stack: FaultStack,
    ledger: Ledger,
    eventstore: AsyncKurrentDBClient,
    key: str,
    since: float,
    members_before: frozenset[str],
) -> float | None:
    if key == PROJECTOR:

        async def rejoined() -> bool:
            members = await _group_members(eventstore)
            return len(members) >= 2 and members != members_before

        if not await _until_async(rejoined, stack):
            return None
        since = time.monotonic()
    if not await _until(lambda: _first_success(ledger, key, since) is not None, stack):
        return None
    return _first_success(ledger, key, since)


async def _inject(
    stack: FaultStack, load: Load, eventstore: AsyncKurrentDBClient, key: str, round_: int
) -> Recovery:
    members = await _group_members(eventstore) if key == PROJECTOR else frozenset()
    wall_clock = datetime.now(UTC)
    killed_at = await asyncio.to_thread(stack.kill, key)
    await asyncio.to_thread(stack.start, key)
    moment = await _recovery_moment(stack, load.ledger, eventstore, key, killed_at, members)
    seconds = None if moment is None else moment - killed_at
    return Recovery(stack.title(key), round_, seconds, _MEASURED[key], wall_clock)


async def run_faults(data_dir: Path, options: FaultOptions) -> FaultRun:
    stack = plan_fault_stack(data_dir, STACK_ENV)
    recoveries: list[Recovery] = []
    stalled = ""
    await asyncio.to_thread(stack.start_all)
    eventstore = AsyncKurrentDBClient(stack.settings.eventstore_uri)
    try:
        await eventstore.connect()
        async with running_load(
            stack.write_address, stack.read_address, options.commands_per_second
        ) as load:
            for round_, key in [(r + 1, k) for r in range(options.rounds) for k in FAULTS]:
                target = load.acknowledged_commands() + options.commands_between_faults
                if not await _until(
                    load.acknowledged_at_least(target), stack, PROGRESS_LIMIT_SECONDS
                ):
                    stalled = (
                        f"fewer than {options.commands_between_faults} commands acknowledged in "
                        f"{PROGRESS_LIMIT_SECONDS:g}s before killing the {stack.title(key)}"
                    )
                    break
                recoveries.append(await _inject(stack, load, eventstore, key, round_))
        await asyncio.to_thread(stack.restart_exited)
        result = await audit(stack, eventstore, load.ledger)
    finally:
        await eventstore.close()
        await asyncio.to_thread(stack.stop_all)
    sessions_killed: dict[str, int] = {}
    for replica in (PROJECTOR, SECOND_PROJECTOR):
        for record in stack.logged(replica, KILLED):
            reason, count = str(record.get("reason")), record.get("sessions")
            sessions_killed[reason] = sessions_killed.get(reason, 0) + (
                count if isinstance(count, int) else 0
            )
    exits = [
        f"{stack.title(e.key)} exited with code {e.code} (noticed at {e.at:%H:%M:%S} UTC); "
        f"its log ends:\n{e.log_tail}"
        for e in stack.exits
    ]
    return FaultRun(recoveries, load.ledger, exits, result, stalled, sessions_killed)
