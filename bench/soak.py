"""`make soak` (`python -m bench.soak`): the whole system for a long while at half its peak
command rate, with queries alongside. Must end with no error, every server's memory flat over
the last half (growth under 10%), and the read-after-write lag bounded. Not part of CI.

    python -m bench.soak --minutes 2             # a short try
    python -m bench.soak --rate 40               # skip measuring the peak
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import grpc

from bench.harness import closed_loop
from bench.order_lifecycles import Lifecycles, register_customers
from bench.processes import eventstore, projector, read_service, secantus, write_service
from bench.soak_load import CallRecorder, Traffic, paced
from bench.soak_report import markdown, plot, summarize
from bench.soak_samples import Sampler
from bench.soak_secantus import without_retryable_writes
from orders.v1 import command_service_pb2_grpc, query_service_pb2_grpc

RESULTS: Final = Path(__file__).parent / "results"
DATABASE: Final = "orders"
PEAK_CONCURRENCY: Final = 32
PEAK_SECONDS: Final = 20.0
# Enough customers that each places a few dozen orders over the soak, as in a shop. With 50, each
# customer's list reached 300 orders, and SecantusDB answers ListCustomerOrders by decoding and
# sorting the customer's whole list in Python, under its storage lock (py-spy: `find` went from
# 24% to 56% of its samples between minutes 2 and 9), which made the lag creep; MongoDB walks the
# (customer_id, created_at) index and stops at the page.
CUSTOMERS: Final = 1000
# Caches small enough to fill up during the first half (the warm-up), so that memory growth in
# the second half shows a leak, not a cache still filling up to its default size. Values set in
# the environment win.
SERVICE_CACHES: Final = {
    "WRITE_SERVICE_CACHE_SIZE": "1000",
    "PROJECTOR_DOCUMENT_CACHE_SIZE": "1000",
    "READ_CACHE_MAX_ENTRIES": "1000",
    "EVENTSTORE_LITE_STREAM_CACHE_SIZE": "1000",
    "EVENTSTORE_LITE_PAGE_CACHE_KIB": "2048",
}


@dataclass(frozen=True)
class SoakOptions:
    minutes: float
    rate: float | None
    sample_seconds: float
    command: str


async def _caught_up(traffic: Traffic, within: float = 600.0) -> None:
    """Return once the read models reflect the latest order written."""
    deadline = time.monotonic() + within
    while not await traffic.reads_reflect_the_latest_order():
        if time.monotonic() > deadline:
            raise RuntimeError(f"the projector did not catch up within {within:g}s")


async def _sustainable_rate(traffic: Traffic) -> float:
    """Commands per second the whole system keeps up with, queries alongside: as many command
    and query pairs as callers can send, over the time until the read models have caught up."""
    print(f"measuring the sustainable rate ({PEAK_SECONDS:g} s of peak load) ...", flush=True)
    started = time.monotonic()
    before = traffic.command_count
    peak = await closed_loop(traffic.pair, PEAK_CONCURRENCY, PEAK_SECONDS)
    await _caught_up(traffic)
    sustainable = (traffic.command_count - before) / (time.monotonic() - started)
    print(
        f"{peak.per_second:.1f} commands (and as many queries) per second sent; the read "
        f"models caught up at {sustainable:.1f}/s: soaking at {sustainable / 2:.1f}",
        flush=True,
    )
    return sustainable


async def _soak(options: SoakOptions, pids: dict[str, int], write: str, read: str) -> int:
    recorder = CallRecorder()
    async with (
        grpc.aio.insecure_channel(write, interceptors=[recorder]) as write_channel,
        grpc.aio.insecure_channel(read, interceptors=[recorder]) as read_channel,
    ):
        commands = command_service_pb2_grpc.CommandServiceStub(write_channel)
        lifecycles = Lifecycles(commands, await register_customers(commands, CUSTOMERS))
        queries = query_service_pb2_grpc.QueryServiceStub(read_channel)
        traffic = Traffic(commands, queries, lifecycles, recorder)
        measured: float | None = None
        rate = options.rate
        if rate is None:
            measured = await _sustainable_rate(traffic)
            rate = measured / 2
        await _caught_up(traffic)
        recorder.failed.clear()
        seconds = options.minutes * 60
        sampler = Sampler(pids, traffic, options.sample_seconds)
        await asyncio.gather(
            paced(traffic.command, rate, seconds),
            paced(traffic.query, rate, seconds),
            sampler.run(seconds),
        )
    summary = summarize(
        sampler.samples, sampler.lags, options.minutes, rate, measured, recorder.failed
    )
    RESULTS.mkdir(exist_ok=True)
    report = markdown(summary, options.command)
    (RESULTS / "soak.md").write_text(report)
    plot(sampler.samples, sampler.lags, RESULTS / "soak.png")
    print(report)
    print(f"wrote {RESULTS / 'soak.md'} and {RESULTS / 'soak.png'}")
    return 0 if summary.passed else 1


async def _run(options: SoakOptions, workdir: Path) -> int:
    with (
        eventstore(workdir / "eventstore") as store,
        secantus(workdir / "secantus") as mongo,
        write_service(store.address) as writes,
        # Past 10,000 retryable writes SecantusDB sorts them all on every write: the lag spike
        # of minute 6 (bench/soak_secantus.py has the measurement).
        projector(store.address, without_retryable_writes(mongo.address), DATABASE) as projecting,
        read_service(mongo.address, DATABASE) as reads,
    ):
        pids = {
            "event store": store.pid,
            "SecantusDB": mongo.pid,
            "write service": writes.pid,
            "projector": projecting.pid,
            "read service": reads.pid,
            "load generator": os.getpid(),
        }
        return await _soak(options, pids, writes.address, reads.address)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the soak")
    parser.add_argument(
        "--rate", type=float, help="commands per second (default: half the measured peak)"
    )
    parser.add_argument("--sample-seconds", type=float, default=5.0, help="sampling interval")
    arguments = parser.parse_args()
    options = SoakOptions(
        arguments.minutes,
        arguments.rate,
        arguments.sample_seconds,
        "python -m bench.soak " + " ".join(sys.argv[1:]),
    )
    # The services started by bench.processes inherit this environment.
    for name, value in SERVICE_CACHES.items():
        os.environ.setdefault(name, value)
    with tempfile.TemporaryDirectory(prefix="soak-") as workdir:
        code = asyncio.run(_run(options, Path(workdir)))
    sys.exit(code)


if __name__ == "__main__":
    main()
