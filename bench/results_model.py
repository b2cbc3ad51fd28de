"""What a scenario hands back to the report: flat metrics plus raw series for the plots."""

from __future__ import annotations

import statistics
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

    def add(
        self,
        what: str,
        unit: str,
        value: str,
        baseline: str | None = None,
        ratio: str | None = None,
    ) -> None:
        """A table row from metric names already in ``metrics``."""
        self.rows.append(
            (
                what,
                self.metrics[value],
                self.metrics[baseline] if baseline else None,
                self.metrics[ratio] if ratio else None,
                unit,
            )
        )


def median_metrics(repetitions: list[dict[str, float]]) -> dict[str, float]:
    """Each metric's median over the repetitions that measured it.

    Ratios are computed within each repetition first (value and baseline from the same run),
    then their median taken, so a noisy moment shifts both sides of a ratio together.
    """
    names = {name for metrics in repetitions for name in metrics}
    return {
        name: statistics.median([m[name] for m in repetitions if name in m])
        for name in sorted(names)
    }
