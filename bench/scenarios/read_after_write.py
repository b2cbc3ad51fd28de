"""Read-after-write lag: from a command's response until GetOrderSummary shows its effect.

The whole system runs, each part its own process: event store, write service, live projector
(persistent subscription), SecantusDB, read service. Lifecycle commands are sent on a fixed
schedule; the caller watches one command at a time: it polls GetOrderSummary without a
consistency token, POLL_INTERVAL apart, until the order shows the status the command produced.
The lag is the time from the command's response to the response of the first poll that shows
it. Watching one command at a time keeps the polls to at most 1/POLL_INTERVAL per second, so the
measurement does not load the read service more than the readers of a real system would.

Three phases per repetition: a light fixed rate (the pipeline's own delay); a ladder of rates,
climbing from the light rate by a quarter per rung, up to the first whose lag p99 exceeds the
target (the highest rate this machine sustains with every process co-located); and half the
peak measured by the commands scenario in the same run, as the issue asks, with each process's
CPU metered, which says where the two cores go.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any, Final

import grpc
from pymongo import AsyncMongoClient, ReplaceOne

from bench.harness import CpuMeter, closed_loop, open_loop, percentile
from bench.order_lifecycles import Lifecycles, register_customers
from bench.processes import Running, eventstore, projector, read_service, secantus, write_service
from bench.results_model import ScenarioResult, median_metrics
from bench.run_options import RunOptions
from orders.v1 import command_service_pb2_grpc, query_service_pb2, query_service_pb2_grpc
from orders_contracts.read_models import (
    ACTIVE_POINTER_ID,
    INDEXES,
    ORDER_SUMMARIES,
    READ_MODEL_VERSIONS,
    collection_name,
)

DATABASE: Final = "bench_lag"
POLL_INTERVAL: Final = 0.005
GIVE_UP_SECONDS: Final = 10.0
CUSTOMERS: Final = 20
LIGHT_RATE: Final = 50.0
LAG_TARGET_MS: Final = 100.0
# The ladder climbs from the light rate by this factor per rung, up to half the peak.
LADDER_STEP: Final = 1.25
PREFIX: Final = "read_after_write"
RAW_DOCS: Final = 500


async def raw_write_cost(mongo: Running) -> dict[str, float]:
    """SecantusDB's CPU per replaced order summary written raw, one per bulk write and fifty per
    bulk write: the floor under the projector's cost, which writes at least two documents (the
    order's summary and details) per event."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo.address, tz_aware=True)
    try:
        db = client[DATABASE]
        pointer = await db[READ_MODEL_VERSIONS].find_one({"_id": ACTIVE_POINTER_ID})
        version = 1 if pointer is None else int(pointer["version"])
        docs = await db[collection_name(ORDER_SUMMARIES, version)].find({}).to_list(RAW_DOCS)
        scratch = db["raw_write_cost"]
        for name, keys in INDEXES[ORDER_SUMMARIES]:
            await scratch.create_index(list(keys), name=name)
        await scratch.insert_many(docs)
        figures = {}
        for per_write in (1, 50):
            meter = CpuMeter([mongo.pid])
            meter.start()
            for start in range(0, len(docs), per_write):
                await client.bulk_write(
                    [
                        ReplaceOne(
                            {"_id": doc["_id"]},
                            {**doc, "revision": doc["revision"] + per_write},
                            namespace=f"{DATABASE}.raw_write_cost",
                        )
                        for doc in docs[start : start + per_write]
                    ],
                    ordered=False,
                )
            figures[f"{PREFIX}_raw_replace_mongo_cpu_ms_per_doc_{per_write}_per_write"] = (
                meter.stop() * 1000 / len(docs)
            )
        await scratch.drop()
        return figures
    finally:
        await client.close()


class LagObserver:
    def __init__(
        self, commands: Lifecycles, queries: query_service_pb2_grpc.QueryServiceAsyncStub
    ) -> None:
        self._commands = commands
        self._queries = queries
        self._watch: asyncio.Task[None] | None = None
        self.newest: tuple[str, int] | None = None
        self.lags_ms: list[float] = []
        self.timeouts = 0

    async def call(self) -> None:
        order_id, status = await self._commands.step()
        answered = time.perf_counter()
        if not status:
            return
        self.newest = (order_id, status)
        if self._watch is None or self._watch.done():
            # Watched beside the call, not inside it: the load's latencies are the commands'
            # own. Awaiting the watch here charged each watched command with its lag, so the
            # command p99 read about the lag p99 (session 7, `python -m bench --only pipeline`).
            self._watch = asyncio.create_task(self.wait_visible(order_id, status, answered))

    async def wait_visible(self, order_id: str, status: int, answered: float) -> None:
        request = query_service_pb2.GetOrderSummaryRequest(order_id=order_id)
        while time.perf_counter() - answered < GIVE_UP_SECONDS:
            try:
                response = await self._queries.GetOrderSummary(request)
            except grpc.aio.AioRpcError as error:
                if error.code() != grpc.StatusCode.NOT_FOUND:
                    raise
            else:
                # Later commands of the order may already show: statuses only move forward.
                if response.order.status >= status:
                    self.lags_ms.append((time.perf_counter() - answered) * 1000)
                    return
            await asyncio.sleep(POLL_INTERVAL)
        self.timeouts += 1

    async def phase(self, rate: float, seconds: float) -> tuple[list[float], list[float], int]:
        """(lags, command latencies, lags over 10 s) of `seconds` at `rate`; then waits for
        the backlog, so the next phase starts from an empty pipeline."""
        self.lags_ms, self.timeouts = [], 0
        paced = await open_loop(self.call, rate, seconds)
        if self._watch is not None:
            await self._watch
        lags, timeouts = self.lags_ms, self.timeouts
        if self.newest is not None:
            await self.wait_visible(*self.newest, time.perf_counter())
        return lags, paced.latencies_ms, timeouts


async def _one_repetition(
    workdir: Path, peak: float | None, seconds: float
) -> tuple[dict[str, float], dict[str, list[float]]]:
    with (
        secantus(workdir / "mongo") as mongo,
        eventstore(workdir / "store") as store,
        write_service(store.address) as writer,
        projector(store.address, mongo.address, DATABASE) as projecting,
        read_service(mongo.address, DATABASE) as reader,
    ):
        processes = {
            "event_store": store.pid,
            "write_service": writer.pid,
            "projector": projecting.pid,
            "secantusdb": mongo.pid,
            "read_service": reader.pid,
            "load_generator": os.getpid(),
        }
        async with (
            grpc.aio.insecure_channel(writer.address) as write_channel,
            grpc.aio.insecure_channel(reader.address) as read_channel,
        ):
            command_stub = command_service_pb2_grpc.CommandServiceStub(write_channel)
            commands = Lifecycles(command_stub, await register_customers(command_stub, CUSTOMERS))
            observer = LagObserver(commands, query_service_pb2_grpc.QueryServiceStub(read_channel))
            # The projector is ready once a first order shows up.
            order_id, status = await commands.step()
            await observer.wait_visible(order_id, status, time.perf_counter())
            if peak is None:
                peak = (await closed_loop(commands.step, 64, seconds)).per_second
            figures: dict[str, float] = {f"{PREFIX}_command_rate_per_s": peak / 2}

            light, _, _ = await observer.phase(LIGHT_RATE, seconds)
            figures[f"{PREFIX}_lag_p50_ms_at_{LIGHT_RATE:.0f}_per_s"] = percentile(light, 0.5)
            figures[f"{PREFIX}_lag_p99_ms_at_{LIGHT_RATE:.0f}_per_s"] = percentile(light, 0.99)

            sustained = LIGHT_RATE if percentile(light, 0.99) <= LAG_TARGET_MS else 0.0
            rung = LIGHT_RATE * LADDER_STEP
            while sustained and rung < peak / 2:
                lags, _, timeouts = await observer.phase(rung, seconds)
                if timeouts or percentile(lags, 0.99) > LAG_TARGET_MS:
                    break
                sustained, rung = rung, rung * LADDER_STEP
            figures[f"{PREFIX}_highest_rate_with_lag_p99_within_target_per_s"] = sustained

            meters = {name: CpuMeter([pid]) for name, pid in processes.items()}
            for meter in meters.values():
                meter.start()
            began = time.perf_counter()
            lags, latencies, timeouts = await observer.phase(peak / 2, seconds)
            elapsed = time.perf_counter() - began
            sent = int(peak / 2 * seconds)
            for name, meter in meters.items():
                cpu = meter.stop()
                figures[f"{PREFIX}_cpu_cores_{name}"] = cpu / elapsed
                figures[f"{PREFIX}_cpu_ms_per_command_{name}"] = cpu * 1000 / sent
        figures |= await raw_write_cost(mongo)
    figures |= {
        f"{PREFIX}_cpu_cores_total": sum(
            v for k, v in figures.items() if k.startswith(f"{PREFIX}_cpu_cores_")
        ),
        f"{PREFIX}_lag_p50_ms": percentile(lags, 0.5),
        f"{PREFIX}_lag_p99_ms": percentile(lags, 0.99),
        f"{PREFIX}_lag_max_ms": max(lags, default=float("nan")),
        f"{PREFIX}_samples": float(len(lags)),
        f"{PREFIX}_not_visible_within_10_s": float(timeouts),
        f"{PREFIX}_command_errors": float(commands.errors),
        f"{PREFIX}_command_p99_ms": percentile(latencies, 0.99),
    }
    return figures, {
        f"response -> visible in GetOrderSummary, {LIGHT_RATE:.0f}/s": light,
        "response -> visible in GetOrderSummary, half the peak": lags,
    }


async def run(options: RunOptions) -> ScenarioResult:
    workdir, repetitions, seconds = options.workdir, options.repetitions, options.seconds
    result = ScenarioResult("read_after_write")
    peak = options.previous.get("commands_throughput_per_s")
    runs = []
    lags: dict[str, list[float]] = {}
    for repetition in range(repetitions):
        figures, lags = await _one_repetition(workdir / f"rep-{repetition}", peak, seconds)
        runs.append(figures)
        print(f"  read_after_write repetition {repetition + 1}: {figures}", flush=True)
    result.metrics = median_metrics(runs)
    light = f"{LIGHT_RATE:.0f}"
    rows = [
        (
            "command rate (half the peak of the commands scenario)",
            "commands/s",
            "command_rate_per_s",
        ),
        (f"lag p50 at a light {light} commands/s", "ms", f"lag_p50_ms_at_{light}_per_s"),
        (f"lag p99 at a light {light} commands/s", "ms", f"lag_p99_ms_at_{light}_per_s"),
        (
            f"highest rate with lag p99 <= {LAG_TARGET_MS:.0f} ms (ladder from {light}/s, x1.25)",
            "commands/s",
            "highest_rate_with_lag_p99_within_target_per_s",
        ),
        ("lag p50 at half the peak", "ms", "lag_p50_ms"),
        ("lag p99 at half the peak", "ms", "lag_p99_ms"),
        ("lag max at half the peak", "ms", "lag_max_ms"),
        ("samples per repetition", "commands", "samples"),
        ("not visible within 10 s", "commands", "not_visible_within_10_s"),
        ("command p99 while projecting", "ms", "command_p99_ms"),
        ("CPU of all processes at half the peak", "cores", "cpu_cores_total"),
    ]
    for what, unit, metric in rows:
        result.add(what, unit, f"{PREFIX}_{metric}")
    for name in (
        "load_generator",
        "write_service",
        "event_store",
        "projector",
        "secantusdb",
        "read_service",
    ):
        result.add(
            f"CPU per command at half the peak: {name.replace('_', ' ')}",
            "ms",
            f"{PREFIX}_cpu_ms_per_command_{name}",
        )
    for per_write in (1, 50):
        result.add(
            f"SecantusDB CPU per order summary replaced raw, {per_write} per bulk write",
            "ms",
            f"{PREFIX}_raw_replace_mongo_cpu_ms_per_doc_{per_write}_per_write",
        )
    result.latencies_ms = lags
    return result
