"""What a read model is doing, from what the group says, and the health answer it gives.

Pure: the status RPC feeds it the whole group's view, each replica's health service its own.
Only ``running`` is SERVING: a paused, rebuilding, stalled, retrying, starting read model, or
one lagging past the threshold, answers NOT_SERVING under its own service name, so that a
reader can route around a stale read model while the others serve.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final, Literal, TypeAlias

ModelState: TypeAlias = Literal[
    "running", "paused", "rebuilding", "stalled", "retrying", "lagging", "starting"
]

SERVICE_PREFIX: Final = "orders.v1.ReadModel/"


def health_service(read_model: str) -> str:
    """The health service name of a read model: ``orders.v1.ReadModel/order_summaries``."""
    return SERVICE_PREFIX + read_model


def model_state(
    *,
    paused: bool,
    building_version: int | None,
    replica_states: Collection[str],
    lag_events: int,
    max_lag_events: int,
) -> tuple[ModelState, str]:
    """The state and, unless running, why; the first that applies, in this order."""
    if paused:
        return "paused", "consumption is paused by an operator"
    if building_version is not None:
        return "rebuilding", f"version {building_version} is being rebuilt"
    if "stalled" in replica_states:
        return "stalled", "events wait and none arrive; the subscription is reconnecting"
    if "retrying" in replica_states:
        return "retrying", "a store fails and is being retried"
    if not replica_states or set(replica_states) == {"starting"}:
        return "starting", "no replica consumes yet"
    if lag_events >= max_lag_events:
        return "lagging", f"at least {lag_events} events behind (threshold {max_lag_events})"
    return "running", ""
