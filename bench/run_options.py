"""What every scenario is told: where to work, how long and how often, what ran before it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunOptions:
    workdir: Path
    repetitions: int
    # Length of each load phase.
    seconds: float
    # A smoke run: one repetition, smaller data sets.
    quick: bool
    # Metrics of the scenarios that ran earlier in this run (read-after-write needs the peak
    # command rate).
    previous: Mapping[str, float]
