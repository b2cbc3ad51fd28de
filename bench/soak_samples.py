"""What a soak samples every few seconds: each process's resident memory and the counts so far,
and, on its own schedule, the read-after-write lag (a probe can take seconds, memory samples
must not wait for it)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

import psutil

from bench.soak_load import Traffic


@dataclass(frozen=True)
class Sample:
    seconds: float
    rss_bytes: dict[str, int]
    commands: int
    queries: int
    errors: int


@dataclass(frozen=True)
class LagSample:
    seconds: float
    # None: the probe's command or its query failed.
    lag_seconds: float | None


def resident_bytes(process: psutil.Process) -> int:
    """The process's resident memory, with that of any children it started, except for the
    soak's own process: its children are the servers, each sampled on its own row."""
    try:
        total: int = process.memory_info().rss
        if process.pid == os.getpid():
            return total
        for child in process.children(recursive=True):
            total += child.memory_info().rss
    except psutil.NoSuchProcess:
        return 0
    return total


async def _every(interval: float, seconds: float, take: Callable[[float], Awaitable[None]]) -> None:
    started = time.perf_counter()
    taken = 0
    while (elapsed := time.perf_counter() - started) < seconds:
        await take(elapsed)
        taken += 1
        await asyncio.sleep(max(0.0, started + interval * taken - time.perf_counter()))


@dataclass
class Sampler:
    pids: Mapping[str, int]
    traffic: Traffic
    interval: float
    samples: list[Sample] = field(default_factory=list)
    lags: list[LagSample] = field(default_factory=list)

    async def run(self, seconds: float) -> None:
        processes = {name: psutil.Process(pid) for name, pid in self.pids.items()}

        async def memory(elapsed: float) -> None:
            self.samples.append(
                Sample(
                    seconds=elapsed,
                    rss_bytes={name: resident_bytes(p) for name, p in processes.items()},
                    commands=self.traffic.command_count,
                    queries=self.traffic.query_count,
                    errors=sum(self.traffic.recorder.failed.values()),
                )
            )

        async def lag(elapsed: float) -> None:
            self.lags.append(LagSample(elapsed, await self.traffic.read_after_write_seconds()))

        await asyncio.gather(
            _every(self.interval, seconds, memory), _every(self.interval, seconds, lag)
        )
