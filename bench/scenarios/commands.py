"""Commands end to end: client -> write service -> eventstore_lite, next to the bare echo service.

Throughput: as many lifecycle commands as CONCURRENCY callers complete back to back (closed
loop). Latency: commands sent on a fixed schedule of RATE per second, each timed from its
scheduled send time (open loop, no coordinated omission). The echo service is driven with the
same grpc.aio client, the same concurrency and the same schedule in the same repetition.
"""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path
from typing import Final

import grpc

from bench.echo import echo_stub
from bench.harness import LoadResult, closed_loop, interleaved, open_loop, percentile, rate_series
from bench.order_lifecycles import Lifecycles, place_order_size, register_customers
from bench.processes import echo_server, eventstore, write_service
from bench.results_model import ScenarioResult, median_metrics
from bench.run_options import RunOptions
from orders.v1 import command_service_pb2_grpc as pb_grpc

CONCURRENCY: Final = 64
RATE: Final = 250.0
CUSTOMERS: Final = 50
WARM_UP_SECONDS: Final = 1.0
# Commands and echo alternate in this many slices of each load phase (see harness.interleaved).
SLICES: Final = 4


async def _one_repetition(
    workdir: Path, seconds: float
) -> tuple[dict[str, tuple[LoadResult, float]], LoadResult, LoadResult, int]:
    payload = b"x" * place_order_size()
    with (
        echo_server() as echo,
        eventstore(workdir) as store,
        write_service(store.address) as service,
    ):
        async with (
            grpc.aio.insecure_channel(echo.address) as echo_channel,
            grpc.aio.insecure_channel(service.address) as channel,
        ):
            echo_call = echo_stub(echo_channel)
            stub = pb_grpc.CommandServiceStub(channel)
            lifecycles = Lifecycles(stub, await register_customers(stub, CUSTOMERS))

            def echo_once() -> Awaitable[bytes]:
                return echo_call(payload)

            await closed_loop(echo_once, CONCURRENCY, WARM_UP_SECONDS)
            await closed_loop(lifecycles.step, CONCURRENCY, WARM_UP_SECONDS)
            lifecycles.errors = 0
            peaks = await interleaved(
                {
                    "commands": (lifecycles.step, [service.pid, store.pid]),
                    "echo": (echo_once, [echo.pid]),
                },
                CONCURRENCY,
                seconds,
                SLICES,
            )
            paced = await open_loop(lifecycles.step, RATE, seconds)
            echo_paced = await open_loop(echo_once, RATE, seconds)
    return peaks, paced, echo_paced, lifecycles.errors


async def run(options: RunOptions) -> ScenarioResult:
    workdir, repetitions, seconds = options.workdir, options.repetitions, options.seconds
    result = ScenarioResult("commands")
    runs = []
    for repetition in range(repetitions):
        peaks, paced, echo_paced, errors = await _one_repetition(
            workdir / f"store-{repetition}", seconds
        )
        (peak, cpu), (echo_peak, echo_cpu) = peaks["commands"], peaks["echo"]
        runs.append(
            {
                "commands_throughput_per_s": peak.per_second,
                "echo_throughput_per_s": echo_peak.per_second,
                "commands_throughput_ratio_to_echo": peak.per_second / echo_peak.per_second,
                "commands_p50_ms_at_250_per_s": percentile(paced.latencies_ms, 0.5),
                "commands_p99_ms_at_250_per_s": percentile(paced.latencies_ms, 0.99),
                "echo_p50_ms_at_250_per_s": percentile(echo_paced.latencies_ms, 0.5),
                "echo_p99_ms_at_250_per_s": percentile(echo_paced.latencies_ms, 0.99),
                "commands_p99_ratio_to_echo_p99_at_250_per_s": percentile(paced.latencies_ms, 0.99)
                / percentile(echo_paced.latencies_ms, 0.99),
                # Write service plus event store, per second of peak load (1.0 = one core).
                "commands_system_cpu_cores_at_peak": cpu / peak.seconds,
                "commands_system_cpu_ms_per_command": 1000 * cpu / peak.operations,
                "echo_server_cpu_ms_per_call": 1000 * echo_cpu / echo_peak.operations,
                "commands_errors": float(errors),
            }
        )
        print(f"  commands repetition {repetition + 1}: {runs[-1]}", flush=True)
    result.metrics = median_metrics(runs)
    result.add(
        f"throughput, {CONCURRENCY} calls in flight",
        "calls/s",
        "commands_throughput_per_s",
        "echo_throughput_per_s",
        "commands_throughput_ratio_to_echo",
    )
    result.add("p50 at 250/s", "ms", "commands_p50_ms_at_250_per_s", "echo_p50_ms_at_250_per_s")
    result.add(
        "p99 at 250/s",
        "ms",
        "commands_p99_ms_at_250_per_s",
        "echo_p99_ms_at_250_per_s",
        "commands_p99_ratio_to_echo_p99_at_250_per_s",
    )
    result.add(
        "CPU per call (write service + store / echo server)",
        "ms",
        "commands_system_cpu_ms_per_command",
        "echo_server_cpu_ms_per_call",
    )
    result.add("system CPU at peak", "cores", "commands_system_cpu_cores_at_peak")
    result.add("failed calls", "calls", "commands_errors")
    result.latencies_ms = {
        f"commands, {CONCURRENCY} in flight": peak.latencies_ms,
        "commands at 250/s": paced.latencies_ms,
        "echo at 250/s": echo_paced.latencies_ms,
    }
    result.throughput_series = {
        "commands (closed loop)": rate_series(peak.completed_at),
        "echo (closed loop)": rate_series(echo_peak.completed_at),
    }
    return result
