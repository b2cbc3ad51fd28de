"""The soak's verdicts (no errors, memory flat over the last half, lag bounded), its Markdown
report and its plot."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from bench.report import machine
from bench.soak_samples import LagSample, Sample

MAX_GROWTH: Final = 0.10
# Bounded lag: at the end of the soak it is at most 1.5 times what it was at half time (or under
# a second). A lag growing in proportion to time doubles over the second half, so it fails. A
# single slow probe, as a busy shared machine makes, is reported but not judged; a lag past
# the read service's 5 s wait fails a probe, and any failed call fails the soak.
LAG_GROWTH_FACTOR: Final = 1.5
LAG_FLOOR_SECONDS: Final = 1.0
# Why each process's memory is judged or not; the report prints it next to each verdict.
JUDGED_BECAUSE: Final = {
    "event store": "ours; its caches (streams, SQLite pages) are set small and fill in warm-up",
    "write service": "ours; its aggregate cache is set small and fills in warm-up",
    "projector": "ours; its document cache is set small and fills in warm-up",
    "read service": "ours; its answer cache is set small, its waiters end with their calls",
}
# Shown, not judged. SecantusDB is not our code and keeps what the soak writes in memory as it
# grows: its WiredTiger cache (1 GiB by default) fills with every document written, and its
# oplog grows to its 100,000-entry cap. The load generator is the measuring instrument (its
# own process only: the servers it started are the rows above).
NOT_JUDGED: Final = {
    "SecantusDB": "not ours; its WiredTiger cache (1 GiB) and oplog grow with the data written",
    "load generator": "the measuring instrument (its own process), not part of the system",
}


@dataclass(frozen=True)
class Growth:
    process: str
    at_half_mb: float
    at_end_mb: float

    @property
    def fraction(self) -> float:
        return (self.at_end_mb - self.at_half_mb) / self.at_half_mb if self.at_half_mb else 0.0


@dataclass(frozen=True)
class SoakSummary:
    minutes: float
    commands_per_second: float
    # The sustainable rate measured before the soak; None when the rate was given.
    measured_rate: float | None
    commands: int
    queries: int
    errors: Mapping[str, int]
    growth: list[Growth]
    lag_p50: float
    lag_max_last_half: float
    # Median lag of the first and of the last tenth of the second half.
    lag_at_half: float
    lag_at_end: float
    lag_failures: int

    @property
    def lag_bounded(self) -> bool:
        limit = max(LAG_FLOOR_SECONDS, LAG_GROWTH_FACTOR * self.lag_at_half)
        # A NaN (no probe answered) compares false: not bounded.
        return self.lag_at_end <= limit and not self.lag_failures

    @property
    def passed(self) -> bool:
        memory_ok = all(g.fraction < MAX_GROWTH for g in self.growth if g.process not in NOT_JUDGED)
        return not self.errors and memory_ok and self.lag_bounded


def _mb(samples: Sequence[Sample], name: str) -> float:
    return statistics.median(s.rss_bytes[name] for s in samples) / 2**20


def summarize(
    samples: Sequence[Sample],
    lag_samples: Sequence[LagSample],
    minutes: float,
    rate: float,
    measured_rate: float | None,
    errors: Mapping[str, int],
) -> SoakSummary:
    """Growth compares the median of the first and of the last tenth (at least three samples)
    of the second half: the first half is the warm-up."""
    half = [s for s in samples if s.seconds >= samples[-1].seconds / 2]
    window = max(3, len(half) // 10)
    growth = [
        Growth(name, _mb(half[:window], name), _mb(half[-window:], name))
        for name in samples[0].rss_bytes
    ]
    lags = [s.lag_seconds for s in lag_samples if s.lag_seconds is not None]
    half_time = samples[-1].seconds / 2
    late = [
        s.lag_seconds for s in lag_samples if s.lag_seconds is not None and s.seconds >= half_time
    ]
    lag_window = max(3, len(late) // 10)
    return SoakSummary(
        minutes=minutes,
        commands_per_second=rate,
        measured_rate=measured_rate,
        commands=samples[-1].commands,
        queries=samples[-1].queries,
        errors=dict(errors),
        growth=growth,
        lag_p50=statistics.median(lags) if lags else float("nan"),
        lag_max_last_half=max(late) if late else float("nan"),
        lag_at_half=statistics.median(late[:lag_window]) if late else float("nan"),
        lag_at_end=statistics.median(late[-lag_window:]) if late else float("nan"),
        lag_failures=sum(1 for s in lag_samples if s.lag_seconds is None),
    )


def _ms(seconds: float) -> str:
    return "none measured" if math.isnan(seconds) else f"{seconds * 1000:.0f} ms"


def markdown(summary: SoakSummary, command: str) -> str:
    verdict = "PASSED" if summary.passed else "FAILED"
    lines = [
        f"# Soak: {verdict}",
        "",
        f"`{command}` on {machine()}.",
        "",
        f"{summary.minutes:g} minutes at {summary.commands_per_second:.1f} commands/s ("
        + (
            "as given"
            if summary.measured_rate is None
            else f"half the {summary.measured_rate:.1f}/s measured as sustainable"
        )
        + f") with as many queries alongside: {summary.commands} commands, "
        f"{summary.queries} queries, "
        f"errors: {dict(summary.errors) or 'none'}.",
        "",
        f"Read-after-write lag (a command, then a query waiting for its token), sampled every "
        f"few seconds: median {_ms(summary.lag_p50)} over the soak; in the second half "
        f"{_ms(summary.lag_at_half)} at its start and {_ms(summary.lag_at_end)} at its end "
        f"(medians of a tenth each), worst {_ms(summary.lag_max_last_half)}; failed probes "
        f"{summary.lag_failures}: "
        + ("bounded." if summary.lag_bounded else "NOT bounded (it grew, or probes failed)."),
        "",
        "| process | RSS at half time (MB) | RSS at the end (MB) | growth | verdict | why |",
        "|---|---:|---:|---:|---|---|",
    ]
    for g in summary.growth:
        judged = (
            "not judged"
            if g.process in NOT_JUDGED
            else ("ok" if g.fraction < MAX_GROWTH else f"grew more than {MAX_GROWTH:.0%}")
        )
        why = NOT_JUDGED.get(g.process) or JUDGED_BECAUSE.get(g.process, "judged")
        lines.append(
            f"| {g.process} | {g.at_half_mb:.1f} | {g.at_end_mb:.1f} | {g.fraction:+.1%} | "
            f"{judged} | {why} |"
        )
    return "\n".join(lines) + "\n"


def plot(samples: Sequence[Sample], lag_samples: Sequence[LagSample], path: Path) -> None:
    figure, (memory, lag) = plt.subplots(2, 1, figsize=(10, 8), sharex=True)
    minutes = [s.seconds / 60 for s in samples]
    for name in samples[0].rss_bytes:
        memory.plot(minutes, [s.rss_bytes[name] / 2**20 for s in samples], label=name)
    memory.set_ylabel("resident memory (MB)")
    memory.axvline(minutes[-1] / 2, color="grey", linestyle=":", label="half time")
    memory.legend(loc="upper left", fontsize="small")
    memory.set_title("Soak: memory of every process, and read-after-write lag")
    measured = [(s.seconds / 60, s.lag_seconds * 1000) for s in lag_samples if s.lag_seconds]
    failed = [s.seconds / 60 for s in lag_samples if s.lag_seconds is None]
    lag.plot([m for m, _ in measured], [v for _, v in measured], marker=".", label="probe")
    lag.plot(failed, [0.0] * len(failed), "rx", label="failed probe")
    lag.axvline(minutes[-1] / 2, color="grey", linestyle=":", label="half time")
    lag.legend(loc="upper left", fontsize="small")
    lag.set_ylabel("read-after-write lag (ms)")
    lag.set_xlabel("minutes")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
