"""What a read model is doing, worked out from the group's view (pure, as data)."""

from __future__ import annotations

import pytest

from projector.admin_health import ModelState, health_service, model_state


def state(
    *,
    paused: bool = False,
    building: int | None = None,
    replicas: tuple[str, ...] = ("running",),
    lag: int = 0,
    max_lag: int = 100,
) -> ModelState:
    found, _ = model_state(
        paused=paused,
        building_version=building,
        replica_states=replicas,
        lag_events=lag,
        max_lag_events=max_lag,
    )
    return found


def test_a_read_model_consumed_within_the_threshold_is_running() -> None:
    assert state(lag=99) == "running"


def test_a_read_model_at_the_lag_threshold_is_lagging_and_says_how_far() -> None:
    found, reason = model_state(
        paused=False,
        building_version=None,
        replica_states=["running"],
        lag_events=100,
        max_lag_events=100,
    )
    assert found == "lagging"
    assert "100" in reason


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"paused": True, "building": 3, "replicas": ("stalled",)}, "paused"),
        ({"building": 3, "replicas": ("stalled",), "lag": 500}, "rebuilding"),
        ({"replicas": ("running", "stalled", "retrying")}, "stalled"),
        ({"replicas": ("running", "retrying")}, "retrying"),
        ({"replicas": ()}, "starting"),
        ({"replicas": ("starting",), "lag": 500}, "starting"),
    ],
)
def test_the_first_reason_not_to_serve_wins(given: dict[str, object], expected: str) -> None:
    assert state(**given) == expected  # type: ignore[arg-type]


def test_each_read_model_has_a_health_service_name_of_its_own() -> None:
    assert health_service("order_summaries") == "orders.v1.ReadModel/order_summaries"
