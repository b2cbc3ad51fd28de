"""What a scenario hands back to the report: flat metrics plus raw series for the plots."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ScenarioResult:
    name: str
    # Flat metric name -> number; medians of the repetitions, ratios named `*_ratio_*`.
    metrics: dict[str, float] = field(default_factory=dict)
    # Latency samples (ms) of the last repetition, by label, for distribution plots.
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    # (seconds since start, events per second) samples, by label, for throughput-over-time plots.
    throughput_series: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    # Human lines for the Markdown table: (what, value, baseline, ratio, unit).
    rows: list[tuple[str, float, float | None, float | None, str]] = field(default_factory=list)
