"""The services as the cluster deployment runs them, through a leader change: they reach the event
store by gossip over a list of seeds, as the cluster's URI names its three nodes (here a dead seed
first, as a node that is down), and the event store is killed with SIGKILL under load and started
again on its data, as a leader that crashes and comes back. Nothing acknowledged may be lost, and
the read models end equal to a clean replay."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

import pytest
from kurrentdbclient import AsyncKurrentDBClient

from orders_runtime.ports import free_port
from tests.faults.audit import Audit, audit
from tests.faults.fault_stack import (
    EVENT_STORE,
    PROJECTOR,
    SECOND_PROJECTOR,
    WRITE_SERVICE,
    FaultStack,
    plan_fault_stack,
)
from tests.faults.load import running_load
from tests.faults.scenario import STACK_ENV
from tests.waiting import wait_until

pytestmark = pytest.mark.servers

COMMANDS_BEFORE_AND_AFTER: Final = 40
COMMANDS_PER_SECOND: Final = 30.0
# A liveness bound on a loaded 2-core machine, not a performance target.
PROGRESS_LIMIT_SECONDS: Final = 180.0


@dataclass(frozen=True)
class LeaderChange:
    acknowledged_before_kill: int
    acknowledged_at_end: int
    audit: Audit


def _discover_uri(stack: FaultStack) -> str:
    # Nothing listens on the first seed: discovery must pass over it, every time it reconnects.
    dead_seed = f"127.0.0.1:{free_port()}"
    live_seed = f"127.0.0.1:{stack.settings.eventstore_port}"
    return f"kurrentdb://{dead_seed},{live_seed}?tls=false&nodePreference=leader"


def _through_discovery(stack: FaultStack) -> None:
    uri = _discover_uri(stack)
    for key in (WRITE_SERVICE, PROJECTOR, SECOND_PROJECTOR):
        spec = stack.specs[key]
        stack.specs[key] = replace(spec, env={**spec.env, "EVENTSTORE_URI": uri})


def _awaitable(check: Callable[[], bool]) -> Callable[[], Awaitable[bool]]:
    async def checked() -> bool:
        return check()

    return checked


async def _leader_change(data_dir: Path) -> LeaderChange:
    stack = plan_fault_stack(data_dir, STACK_ENV)
    _through_discovery(stack)
    await asyncio.to_thread(stack.start_all)
    eventstore = AsyncKurrentDBClient(stack.settings.eventstore_uri)
    try:
        await eventstore.connect()
        async with running_load(
            stack.write_address, stack.read_address, COMMANDS_PER_SECOND
        ) as load:
            enough = load.acknowledged_at_least(COMMANDS_BEFORE_AND_AFTER)
            await wait_until(
                _awaitable(enough), "the load getting going", patience=PROGRESS_LIMIT_SECONDS
            )
            before = load.acknowledged_commands()
            await asyncio.to_thread(stack.kill, EVENT_STORE)
            await asyncio.to_thread(stack.start, EVENT_STORE)
            again = load.acknowledged_at_least(before + COMMANDS_BEFORE_AND_AFTER)
            # Not reached is an outcome: the test on acknowledged_at_end reports it.
            with contextlib.suppress(AssertionError):
                await wait_until(
                    _awaitable(again),
                    "commands acknowledged again",
                    patience=PROGRESS_LIMIT_SECONDS,
                )
            after = load.acknowledged_commands()
        result = await audit(stack, eventstore, load.ledger)
    finally:
        await eventstore.close()
        await asyncio.to_thread(stack.stop_all)
    return LeaderChange(before, after, result)


@pytest.fixture(scope="module")
def leader_change(tmp_path_factory: pytest.TempPathFactory) -> LeaderChange:
    return asyncio.run(_leader_change(tmp_path_factory.mktemp("leader-change")))


def test_commands_are_acknowledged_again_after_the_event_store_comes_back(
    leader_change: LeaderChange,
) -> None:
    assert leader_change.acknowledged_at_end >= (
        leader_change.acknowledged_before_kill + COMMANDS_BEFORE_AND_AFTER
    )


def test_every_command_acknowledged_through_the_change_is_stored_exactly_once(
    leader_change: LeaderChange,
) -> None:
    result = leader_change.audit
    wrong = {
        f"{stream} (command {command})": result.stored[command]
        for command, stream in result.acknowledged.items()
        if result.stored[command] != 1
    }
    assert not wrong, f"events stored per acknowledged command, expected 1 each: {wrong}"


def test_the_projectors_reconnect_and_the_read_models_equal_a_clean_replay(
    leader_change: LeaderChange,
) -> None:
    result = leader_change.audit
    assert result.replay["order_summaries"], "the replay holds no order"
    assert result.live == result.replay
