"""The targets of issue 7, checked against a run's metrics (benchmarks report, never assert)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Target:
    metric: str
    at_least: bool
    threshold: float
    description: str

    def met(self, value: float) -> bool:
        return value >= self.threshold if self.at_least else value <= self.threshold


TARGETS: Final = (
    Target("commands_throughput_ratio_to_echo", True, 0.25, "commands >= 0.25 x echo throughput"),
    Target("commands_p99_ms_at_250_per_s", False, 15.0, "command p99 at 250/s <= 15 ms"),
    Target("projector_rebuild_ratio_to_raw_read", True, 0.5, "rebuild >= 0.5 x raw catch-up read"),
    Target(
        "projector_write_stage_ratio_to_raw_bulk_write",
        True,
        0.5,
        "projector Mongo write stage >= 0.5 x raw bulk_write",
    ),
    Target(
        "queries_get_summary_per_cpu_s_ratio_to_echo",
        True,
        0.5,
        "GetOrderSummary per CPU-s >= 0.5 x echo",
    ),
    Target(
        "queries_list_customer_orders_per_cpu_s_ratio_to_echo",
        True,
        0.5,
        "ListCustomerOrders per CPU-s >= 0.5 x echo",
    ),
    Target("read_after_write_lag_p99_ms", False, 100.0, "read-after-write lag p99 <= 100 ms"),
    # Issue 17: replicas that share the work.
    Target(
        "projector_cpu_per_event_ratio_2_replicas_to_1",
        False,
        1.15,
        "projector CPU per event, 2 replicas <= 1.15 x 1",
    ),
    Target(
        "projector_cpu_per_event_ratio_4_replicas_to_1",
        False,
        1.15,
        "projector CPU per event, 4 replicas <= 1.15 x 1",
    ),
    Target(
        "projector_conflicts_per_1000_events_4_replicas",
        False,
        1.0,
        "projector conflicts per 1000 events, 4 replicas <= 1",
    ),
    Target(
        "pipeline_sustained_rate_ratio_to_write_peak",
        True,
        0.3,
        "sustained pipeline rate >= 0.3 x write-only peak",
    ),
)


def target_lines(metrics: Mapping[str, float]) -> list[str]:
    """A Markdown table of every target whose metric this run measured."""
    lines = ["| target | metric | measured | met |", "|---|---|---:|---|"]
    for target in TARGETS:
        if target.metric in metrics:
            value = metrics[target.metric]
            verdict = "yes" if target.met(value) else "**no**"
            lines.append(f"| {target.description} | `{target.metric}` | {value:,.2f} | {verdict} |")
    return lines if len(lines) > 2 else []
