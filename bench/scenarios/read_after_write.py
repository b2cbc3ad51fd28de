"""Read-after-write lag: from a command's response until GetOrderSummary shows its effect.

The whole system runs, each part its own process: event store, write service, live projector
(persistent subscription), SecantusDB, read service. Lifecycle commands are sent on a fixed
schedule at half the peak command rate measured by the commands scenario in the same run (or
measured here when that scenario did not run). For one command in SAMPLE_EVERY the caller then
polls GetOrderSummary without a consistency token, POLL_INTERVAL apart, until the order shows
the status the command produced; the lag is the time from the command's response to the
response of the first poll that shows it. Sampling keeps the polls from loading the read
service more than the readers of a real system would.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Final

import grpc

from bench.harness import closed_loop, open_loop, percentile
from bench.order_lifecycles import Lifecycles, register_customers
from bench.processes import eventstore, projector, read_service, secantus, write_service
from bench.results_model import ScenarioResult, median_metrics
from bench.run_options import RunOptions
from orders.v1 import command_service_pb2_grpc, query_service_pb2, query_service_pb2_grpc

DATABASE: Final = "bench_lag"
SAMPLE_EVERY: Final = 5
POLL_INTERVAL: Final = 0.002
GIVE_UP_SECONDS: Final = 10.0
CUSTOMERS: Final = 20
LIGHT_RATE: Final = 50.0


class _Observer:
    def __init__(
        self, commands: Lifecycles, queries: query_service_pb2_grpc.QueryServiceAsyncStub
    ) -> None:
        self._commands = commands
        self._queries = queries
        self._sent = 0
        self.lags_ms: list[float] = []
        self.timeouts = 0

    async def call(self) -> None:
        self._sent += 1
        order_id, status = await self._commands.step()
        answered = time.perf_counter()
        if status and self._sent % SAMPLE_EVERY == 0:
            await self.wait_visible(order_id, status, answered)

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


async def _one_repetition(
    workdir: Path, rate: float | None, seconds: float
) -> tuple[dict[str, float], list[float]]:
    with (
        secantus(workdir / "mongo") as mongo,
        eventstore(workdir / "store") as store,
        write_service(store.address) as writer,
        projector(store.address, mongo.address, DATABASE),
        read_service(mongo.address, DATABASE) as reader,
    ):
        async with (
            grpc.aio.insecure_channel(writer.address) as write_channel,
            grpc.aio.insecure_channel(reader.address) as read_channel,
        ):
            command_stub = command_service_pb2_grpc.CommandServiceStub(write_channel)
            commands = Lifecycles(command_stub, await register_customers(command_stub, CUSTOMERS))
            observer = _Observer(commands, query_service_pb2_grpc.QueryServiceStub(read_channel))
            # The projector is ready once a first order shows up.
            order_id, status = await commands.step()
            await observer.wait_visible(order_id, status, time.perf_counter())
            if rate is None:
                rate = (await closed_loop(commands.step, 64, seconds)).per_second / 2
            # First at a light fixed rate, where the lag is the pipeline's own delay...
            observer.lags_ms.clear()
            await open_loop(observer.call, LIGHT_RATE, seconds)
            light_lags = list(observer.lags_ms)
            # ...then at half the peak, as the issue asks.
            observer.lags_ms.clear()
            observer.timeouts = 0
            paced = await open_loop(observer.call, rate, seconds)
    figures = {
        f"read_after_write_lag_p50_ms_at_{LIGHT_RATE:.0f}_per_s": percentile(light_lags, 0.5),
        f"read_after_write_lag_p99_ms_at_{LIGHT_RATE:.0f}_per_s": percentile(light_lags, 0.99),
        "read_after_write_command_rate_per_s": rate,
        "read_after_write_lag_p50_ms": percentile(observer.lags_ms, 0.5),
        "read_after_write_lag_p99_ms": percentile(observer.lags_ms, 0.99),
        "read_after_write_lag_max_ms": max(observer.lags_ms, default=float("nan")),
        "read_after_write_samples": float(len(observer.lags_ms)),
        "read_after_write_not_visible_within_10_s": float(observer.timeouts),
        "read_after_write_command_errors": float(commands.errors),
        "read_after_write_command_p99_ms": percentile(paced.latencies_ms, 0.99),
    }
    return figures, observer.lags_ms


async def run(options: RunOptions) -> ScenarioResult:
    workdir, repetitions, seconds = options.workdir, options.repetitions, options.seconds
    result = ScenarioResult("read_after_write")
    peak = options.previous.get("commands_throughput_per_s")
    rate = peak / 2 if peak else None
    runs = []
    lags: list[float] = []
    for repetition in range(repetitions):
        figures, lags = await _one_repetition(workdir / f"rep-{repetition}", rate, seconds)
        runs.append(figures)
        print(f"  read_after_write repetition {repetition + 1}: {figures}", flush=True)
    result.metrics = median_metrics(runs)
    result.add(
        "command rate (half the peak of the commands scenario)",
        "commands/s",
        "read_after_write_command_rate_per_s",
    )
    light = f"{LIGHT_RATE:.0f}"
    result.add(
        f"lag p50 at a light {light} commands/s",
        "ms",
        f"read_after_write_lag_p50_ms_at_{light}_per_s",
    )
    result.add(
        f"lag p99 at a light {light} commands/s",
        "ms",
        f"read_after_write_lag_p99_ms_at_{light}_per_s",
    )
    result.add("lag p50 at half the peak", "ms", "read_after_write_lag_p50_ms")
    result.add("lag p99 at half the peak", "ms", "read_after_write_lag_p99_ms")
    result.add("lag max at half the peak", "ms", "read_after_write_lag_max_ms")
    result.add("samples per repetition", "commands", "read_after_write_samples")
    result.add("not visible within 10 s", "commands", "read_after_write_not_visible_within_10_s")
    result.add("command p99 while projecting", "ms", "read_after_write_command_p99_ms")
    result.latencies_ms = {"command response -> visible in GetOrderSummary, half the peak": lags}
    return result
