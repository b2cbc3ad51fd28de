"""Sustained pipeline rate: the highest command rate the whole co-located pipeline carries with
the read-after-write lag p99 within 100 ms and the command p99 within 50 ms, as a share of the
write-only peak measured in the same repetition.

Each repetition starts SecantusDB, the event store and the write service, and measures the
write-only peak (64 calls in flight, nothing projecting). Then the projector and the read service
start, catch up, and after a warm-up phase a ladder of open-loop rates climbs from a twentieth of
that peak by a fifth per rung, up to the first rung that misses either target twice in a row. At
the highest passing rung (the first, if none passed) one more phase meters every process's CPU
(from /proc, through psutil) and counts the events the projector applied, and another counts the
documents written to the read models, so the figures are per event.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import grpc
from prometheus_client.parser import text_string_to_metric_families
from pymongo import AsyncMongoClient

from bench.harness import CpuMeter, closed_loop, percentile
from bench.order_lifecycles import Lifecycles, register_customers
from bench.processes import (
    Running,
    eventstore,
    projector_env,
    read_service,
    secantus,
    write_service,
)
from bench.results_model import ScenarioResult, median_metrics
from bench.run_options import RunOptions
from bench.scenarios.read_after_write import LagObserver
from orders.v1 import command_service_pb2_grpc, query_service_pb2_grpc
from orders_runtime import processes
from orders_runtime.ports import LOCALHOST, free_port
from orders_runtime.probes import tcp_open

PREFIX: Final = "pipeline"
DATABASE: Final = "bench_pipeline"
CUSTOMERS: Final = 20
LAG_TARGET_MS: Final = 100.0
COMMAND_P99_TARGET_MS: Final = 50.0
FIRST_RUNG: Final = 0.05
RUNG_STEP: Final = 1.2
ATTEMPTS: Final = 2
_VERSION_SUFFIX: Final = re.compile(r"_v\d+$")
PROCESSES: Final = (
    "load_generator",
    "write_service",
    "event_store",
    "projector",
    "secantusdb",
    "read_service",
)


@contextlib.contextmanager
def _projector(store: Running, mongo: Running, metrics_port: int) -> Iterator[Running]:
    env = projector_env(store.address, mongo.address, DATABASE)
    env |= {"METRICS_PORT": str(metrics_port), **_projector_overrides()}
    process = processes.start([sys.executable, "-m", "projector", "run"], env=env)
    try:
        processes.wait_until_ready(
            process, lambda: tcp_open(metrics_port), timeout=30.0, what="projector"
        )
        yield Running(process, f"{LOCALHOST}:{metrics_port}")
    finally:
        processes.stop(process)


def _projector_overrides() -> dict[str, str]:
    """PIPELINE_PROJECTOR_* variables of the bench's own environment, passed on without the
    prefix: how the levers were measured one against another."""
    prefix = "PIPELINE_"
    return {k.removeprefix(prefix): v for k, v in os.environ.items() if k.startswith(prefix)}


def _events_applied(metrics_address: str) -> float:
    with urllib.request.urlopen(f"http://{metrics_address}/metrics", timeout=5) as response:
        text = response.read().decode()
    applied = [
        sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "orders_projector_events_applied"
        for sample in family.samples
        if sample.name.endswith("_total")
    ]
    # Every read model is written by the same batch, so each label counts the same events.
    return max(applied, default=0.0)


async def _documents_per_event(
    client: AsyncMongoClient[dict[str, Any]],
    observer: LagObserver,
    rate: float,
    seconds: float,
    metrics_address: str,
) -> dict[str, float]:
    """Documents written to each read model per event applied, from a change stream on the
    database (SecantusDB's opcounters leave out the client-level bulkWrite the projector uses).
    A phase of its own, so that the stream costs nothing in the phase whose CPU is metered."""
    counts: Counter[str] = Counter()
    async with await client[DATABASE].watch() as stream:
        events = await asyncio.to_thread(_events_applied, metrics_address)
        await observer.phase(rate, seconds)
        events = await asyncio.to_thread(_events_applied, metrics_address) - events
        while (change := await stream.try_next()) is not None:
            counts[_VERSION_SUFFIX.sub("", change["ns"]["coll"])] += 1
    per_event = {f"{PREFIX}_documents_per_event_{k}": v / events for k, v in counts.items()}
    per_event[f"{PREFIX}_documents_written_per_event"] = sum(counts.values()) / events
    return per_event


async def _rung(
    observer: LagObserver, rate: float, seconds: float
) -> tuple[bool, dict[str, float]]:
    """A rung passes if one of ATTEMPTS phases at its rate meets both targets: on a shared
    machine one stall of a neighbour is enough to spoil a p99 of a few hundred samples."""
    for _ in range(ATTEMPTS):
        passed, figures = await _attempt(observer, rate, seconds)
        if passed:
            break
    return passed, figures


async def _attempt(
    observer: LagObserver, rate: float, seconds: float
) -> tuple[bool, dict[str, float]]:
    lags, latencies, timeouts = await observer.phase(rate, seconds)
    figures = {
        "lag_p99_ms": percentile(lags, 0.99),
        "command_p99_ms": percentile(latencies, 0.99),
    }
    passed = (
        not timeouts
        and figures["lag_p99_ms"] <= LAG_TARGET_MS
        and figures["command_p99_ms"] <= COMMAND_P99_TARGET_MS
    )
    print(f"    {rate:7.1f}/s  {figures}  {'ok' if passed else 'missed'}", flush=True)
    return passed, figures


async def _one_repetition(workdir: Path, seconds: float) -> dict[str, float]:
    with (
        secantus(workdir / "mongo") as mongo,
        eventstore(workdir / "store") as store,
        write_service(store.address) as writer,
    ):
        async with grpc.aio.insecure_channel(writer.address) as write_channel:
            command_stub = command_service_pb2_grpc.CommandServiceStub(write_channel)
            commands = Lifecycles(command_stub, await register_customers(command_stub, CUSTOMERS))
            peak = (await closed_loop(commands.step, 64, seconds)).per_second
            with (
                _projector(store, mongo, free_port()) as projecting,
                read_service(mongo.address, DATABASE) as reader,
            ):
                pids = {
                    "load_generator": os.getpid(),
                    "write_service": writer.pid,
                    "event_store": store.pid,
                    "projector": projecting.pid,
                    "secantusdb": mongo.pid,
                    "read_service": reader.pid,
                }
                async with grpc.aio.insecure_channel(reader.address) as read_channel:
                    queries = query_service_pb2_grpc.QueryServiceStub(read_channel)
                    observer = LagObserver(commands, queries)
                    # Caught up with the peak phase's backlog once its newest order shows.
                    order_id, status = await commands.step()
                    await observer.wait_visible(order_id, status, time.perf_counter())
                    return await _climb_and_meter(
                        observer, peak, seconds, pids, projecting.address, mongo.address
                    )


async def _climb_and_meter(
    observer: LagObserver,
    peak: float,
    seconds: float,
    pids: dict[str, int],
    metrics_address: str,
    mongo_uri: str,
) -> dict[str, float]:
    figures = {f"{PREFIX}_write_peak_per_s": peak}
    sustained, rate = 0.0, peak * FIRST_RUNG
    # Warm-up, not counted: the first phase after the catch-up pays for caches and connections.
    await observer.phase(rate, seconds)
    while rate < peak:
        passed, at_rung = await _rung(observer, rate, seconds)
        if not passed:
            figures |= {f"{PREFIX}_first_missed_rung_{k}": v for k, v in at_rung.items()}
            break
        sustained = rate
        figures |= {f"{PREFIX}_at_sustained_rate_{k}": v for k, v in at_rung.items()}
        rate *= RUNG_STEP
    figures[f"{PREFIX}_sustained_rate_per_s"] = sustained
    figures[f"{PREFIX}_sustained_rate_ratio_to_write_peak"] = sustained / peak
    # Where no rung passed (a machine busy with other work), the cost per event is still taken,
    # at the first rung: CPU seconds move far less with the neighbours than latencies do.
    metered = sustained or peak * FIRST_RUNG
    figures[f"{PREFIX}_metered_rate_per_s"] = metered
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_uri)
    try:
        figures |= await _documents_per_event(client, observer, metered, seconds, metrics_address)
    finally:
        await client.close()
    meters = {name: CpuMeter([pid]) for name, pid in pids.items()}
    for meter in meters.values():
        meter.start()
    events = await asyncio.to_thread(_events_applied, metrics_address)
    await observer.phase(metered, seconds)
    events = await asyncio.to_thread(_events_applied, metrics_address) - events
    cpu = {name: meter.stop() for name, meter in meters.items()}
    figures[f"{PREFIX}_events_per_metered_phase"] = events
    for name, seconds_used in cpu.items():
        figures[f"{PREFIX}_cpu_ms_per_event_{name}"] = seconds_used * 1000 / events
    figures[f"{PREFIX}_cpu_ms_per_event_total"] = sum(cpu.values()) * 1000 / events
    return figures


async def run(options: RunOptions) -> ScenarioResult:
    result = ScenarioResult(PREFIX)
    runs = []
    for repetition in range(options.repetitions):
        figures = await _one_repetition(options.workdir / f"rep-{repetition}", options.seconds)
        runs.append(figures)
        print(f"  pipeline repetition {repetition + 1}: {figures}", flush=True)
    result.metrics = median_metrics(runs)
    rows = [
        (
            "write-only peak (write service + event store, 64 in flight)",
            "commands/s",
            "write_peak_per_s",
        ),
        (
            f"sustained rate: lag p99 <= {LAG_TARGET_MS:.0f} ms and command p99 <= "
            f"{COMMAND_P99_TARGET_MS:.0f} ms (ladder x{RUNG_STEP} from {FIRST_RUNG} x peak)",
            "commands/s",
            "sustained_rate_per_s",
        ),
        ("sustained rate / write-only peak", "ratio", "sustained_rate_ratio_to_write_peak"),
        ("lag p99 at the sustained rate", "ms", "at_sustained_rate_lag_p99_ms"),
        ("command p99 at the sustained rate", "ms", "at_sustained_rate_command_p99_ms"),
        ("lag p99 at the first missed rung", "ms", "first_missed_rung_lag_p99_ms"),
        ("command p99 at the first missed rung", "ms", "first_missed_rung_command_p99_ms"),
        ("rate of the metered phases below", "commands/s", "metered_rate_per_s"),
        (
            "documents written per event (all read models and status documents)",
            "docs",
            "documents_written_per_event",
        ),
    ]
    written = f"{PREFIX}_documents_per_event_"
    rows += [
        (
            f"documents written per event: {name.removeprefix(written)}",
            "docs",
            name[len(PREFIX) + 1 :],
        )
        for name in sorted(result.metrics)
        if name.startswith(written)
    ]
    rows += [
        (f"CPU per event: {name.replace('_', ' ')}", "ms", f"cpu_ms_per_event_{name}")
        for name in (*PROCESSES, "total")
    ]
    for what, unit, metric in rows:
        if f"{PREFIX}_{metric}" in result.metrics:
            result.add(what, unit, f"{PREFIX}_{metric}")
    return result
