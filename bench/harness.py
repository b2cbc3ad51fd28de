"""Load generation and statistics shared by every scenario."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

import psutil

Call = Callable[[], Awaitable[object]]


@dataclass(frozen=True)
class LoadResult:
    operations: int
    seconds: float
    latencies_ms: list[float] = field(repr=False)
    # When each call completed, in seconds since the load started (throughput over time).
    completed_at: list[float] = field(default_factory=list, repr=False)

    @property
    def per_second(self) -> float:
        return self.operations / self.seconds if self.seconds else 0.0


def percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


async def closed_loop(call: Call, concurrency: int, seconds: float) -> LoadResult:
    """As many calls as `concurrency` workers can complete back to back: peak throughput."""
    latencies: list[float] = []
    completed: list[float] = []
    begin = time.perf_counter()
    deadline = begin + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await call()
            now = time.perf_counter()
            latencies.append((now - started) * 1000)
            completed.append(now - begin)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return LoadResult(len(latencies), time.perf_counter() - begin, latencies, completed)


async def open_loop(call: Call, rate: float, seconds: float) -> LoadResult:
    """Calls sent on a fixed schedule, latency taken from the scheduled send time.

    Measuring from the schedule rather than the actual send avoids coordinated omission: a
    stalled system is charged for every call it delayed, not only for the one that stalled.
    """
    latencies: list[float] = []
    completed: list[float] = []
    total = int(rate * seconds)
    start = time.perf_counter()

    async def one(scheduled: float) -> None:
        await call()
        now = time.perf_counter()
        latencies.append((now - scheduled) * 1000)
        completed.append(now - start)

    tasks = []
    for index in range(total):
        scheduled = start + index / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled)))
    await asyncio.gather(*tasks)
    return LoadResult(total, time.perf_counter() - start, latencies, completed)


def rate_series(moments: Sequence[float], bucket: float = 0.25) -> list[tuple[float, float]]:
    """(bucket end in seconds, completions per second in that bucket), for throughput plots."""
    if not moments:
        return []
    counts = [0] * (int(max(moments) / bucket) + 1)
    for moment in moments:
        counts[int(moment / bucket)] += 1
    return [((index + 1) * bucket, count / bucket) for index, count in enumerate(counts)]


class CpuMeter:
    """CPU seconds (user + system) used by a set of processes between start() and stop()."""

    def __init__(self, pids: Sequence[int]) -> None:
        self._processes = [psutil.Process(pid) for pid in pids]
        self._before = 0.0

    def _total(self) -> float:
        total = 0.0
        for process in self._processes:
            times = process.cpu_times()
            total += times.user + times.system
        return total

    def start(self) -> None:
        self._before = self._total()

    def stop(self) -> float:
        return self._total() - self._before


async def interleaved(
    loads: Mapping[str, tuple[Call, Sequence[int]]], concurrency: int, seconds: float, slices: int
) -> dict[str, tuple[LoadResult, float]]:
    """Closed loops of several systems in alternating slices, each with its CPU metered.

    On a shared machine the background load changes from second to second; alternating short
    slices (A B A B ...) exposes a system and its baseline to the same moments, so their ratio
    is fairer than that of two loads run one after the other.
    """
    merged: dict[str, tuple[LoadResult, float]] = {}
    for _ in range(slices):
        for name, (call, pids) in loads.items():
            meter = CpuMeter(pids)
            meter.start()
            load = await closed_loop(call, concurrency, seconds / slices)
            cpu = meter.stop()
            if name in merged:
                before, before_cpu = merged[name]
                shifted = [moment + before.seconds for moment in load.completed_at]
                load = LoadResult(
                    before.operations + load.operations,
                    before.seconds + load.seconds,
                    before.latencies_ms + load.latencies_ms,
                    before.completed_at + shifted,
                )
                cpu += before_cpu
            merged[name] = (load, cpu)
    return merged


async def interleaved_open_loops(
    calls: Mapping[str, Call], rate: float, seconds: float, slices: int
) -> dict[str, LoadResult]:
    """Open loops of several systems at `rate`, alternating in slices as `interleaved` does, so
    that latencies compared across systems were measured under the same background load."""
    merged: dict[str, LoadResult] = {}
    for _ in range(slices):
        for name, call in calls.items():
            load = await open_loop(call, rate, seconds / slices)
            before = merged.get(name)
            if before is not None:
                shifted = [moment + before.seconds for moment in load.completed_at]
                load = LoadResult(
                    before.operations + load.operations,
                    before.seconds + load.seconds,
                    before.latencies_ms + load.latencies_ms,
                    before.completed_at + shifted,
                )
            merged[name] = load
    return merged
