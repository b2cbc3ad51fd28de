"""Commands end to end: client -> write service -> eventstore_lite, next to the bare echo service.

Throughput: as many lifecycle commands as CONCURRENCY callers complete back to back (closed
loop). Latency: commands sent on a fixed schedule of RATE per second, each timed from its
scheduled send time (open loop, no coordinated omission), alternating in slices like the closed
loops. The echo service is driven with the
same grpc.aio client, the same concurrency and the same schedule in the same repetition.

Each append mode of the write service (WRITE_SERVICE_APPEND_MODE: batch, plain) runs as its own
service on one shared event store, and their closed loops alternate with echo's in short slices
(batch, plain, echo, batch, ...) so all three see the same background load. The plain
`commands_*` metrics are those of the default mode, the figures issue 7's targets speak of;
`commands_batch_*` and `commands_plain_*` are each mode's own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, get_args

import grpc

from bench.echo import echo_stub
from bench.harness import (
    LoadResult,
    closed_loop,
    interleaved,
    interleaved_open_loops,
    percentile,
    rate_series,
)
from bench.order_lifecycles import Lifecycles, place_order_size, register_customers
from bench.processes import echo_server, eventstore, write_service
from bench.results_model import ScenarioResult, median_metrics
from bench.run_options import RunOptions
from orders.v1 import command_service_pb2_grpc as pb_grpc
from write_service.event_appender import AppendMode
from write_service.settings import Settings

CONCURRENCY: Final = 64
RATE: Final = 250.0
CUSTOMERS: Final = 50
WARM_UP_SECONDS: Final = 1.0
# The systems alternate in this many slices of each load phase (see harness.interleaved).
SLICES: Final = 4
MODES: Final[tuple[AppendMode, ...]] = get_args(AppendMode)
DEFAULT_MODE: Final = Settings().append_mode


@dataclass(frozen=True)
class _Repetition:
    # Closed loops by system (each mode, "echo"), with the CPU seconds of its processes.
    peaks: dict[str, tuple[LoadResult, float]]
    # Open loops at RATE by system.
    paced: dict[str, LoadResult]
    errors: dict[str, int]


async def _one_repetition(workdir: Path, seconds: float, repetition: int) -> _Repetition:
    payload = b"x" * place_order_size()
    with contextlib.ExitStack() as processes:
        echo = processes.enter_context(echo_server())
        store = processes.enter_context(eventstore(workdir))
        services = {
            mode: processes.enter_context(write_service(store.address, mode)) for mode in MODES
        }
        async with contextlib.AsyncExitStack() as channels:
            echo_channel = await channels.enter_async_context(
                grpc.aio.insecure_channel(echo.address)
            )
            echo_call = echo_stub(echo_channel)

            def echo_once() -> Awaitable[bytes]:
                return echo_call(payload)

            loads: dict[str, tuple[Callable[[], Awaitable[object]], list[int]]] = {}
            lifecycles: dict[str, Lifecycles] = {}
            for mode, service in services.items():
                channel = await channels.enter_async_context(
                    grpc.aio.insecure_channel(service.address)
                )
                stub = pb_grpc.CommandServiceStub(channel)
                lifecycles[mode] = Lifecycles(stub, await register_customers(stub, CUSTOMERS))
                loads[mode] = (lifecycles[mode].step, [service.pid, store.pid])
            loads["echo"] = (echo_once, [echo.pid])
            for call, _ in loads.values():
                await closed_loop(call, CONCURRENCY, WARM_UP_SECONDS)
            for driver in lifecycles.values():
                driver.errors = 0
            # The first system of each slice turns with the repetition.
            names = list(loads)
            turned = names[repetition % len(names) :] + names[: repetition % len(names)]
            peaks = await interleaved(
                {name: loads[name] for name in turned}, CONCURRENCY, seconds, SLICES
            )
            paced = await interleaved_open_loops(
                {name: loads[name][0] for name in turned}, RATE, seconds, SLICES
            )
    return _Repetition(peaks, paced, {mode: lifecycles[mode].errors for mode in MODES})


def _figures(prefix: str, run: _Repetition, system: str) -> dict[str, float]:
    (peak, cpu), (echo_peak, _) = run.peaks[system], run.peaks["echo"]
    paced, echo_paced = run.paced[system], run.paced["echo"]
    p99 = percentile(paced.latencies_ms, 0.99)
    return {
        f"{prefix}_throughput_per_s": peak.per_second,
        f"{prefix}_throughput_ratio_to_echo": peak.per_second / echo_peak.per_second,
        f"{prefix}_p50_ms_at_250_per_s": percentile(paced.latencies_ms, 0.5),
        f"{prefix}_p99_ms_at_250_per_s": p99,
        f"{prefix}_p99_ratio_to_echo_p99_at_250_per_s": p99
        / percentile(echo_paced.latencies_ms, 0.99),
        # Write service plus event store, per second of peak load (1.0 = one core).
        f"{prefix}_system_cpu_cores_at_peak": cpu / peak.seconds,
        f"{prefix}_system_cpu_ms_per_command": 1000 * cpu / peak.operations,
        f"{prefix}_errors": float(run.errors[system]),
    }


def _metrics(run: _Repetition) -> dict[str, float]:
    echo_peak, echo_cpu = run.peaks["echo"]
    metrics = {
        "echo_throughput_per_s": echo_peak.per_second,
        "echo_p50_ms_at_250_per_s": percentile(run.paced["echo"].latencies_ms, 0.5),
        "echo_p99_ms_at_250_per_s": percentile(run.paced["echo"].latencies_ms, 0.99),
        "echo_server_cpu_ms_per_call": 1000 * echo_cpu / echo_peak.operations,
        **_figures("commands", run, DEFAULT_MODE),
    }
    for mode in MODES:
        metrics.update(_figures(f"commands_{mode}", run, mode))
    metrics["commands_batch_throughput_ratio_to_plain"] = (
        run.peaks["batch"][0].per_second / run.peaks["plain"][0].per_second
    )
    return metrics


# Ratios whose spread over the repetitions the report shows, as a measure of the noise.
_SPREAD: Final = (
    "commands_batch_throughput_ratio_to_plain",
    "commands_batch_throughput_ratio_to_echo",
    "commands_plain_throughput_ratio_to_echo",
)


async def run(options: RunOptions) -> ScenarioResult:
    workdir, repetitions, seconds = options.workdir, options.repetitions, options.seconds
    result = ScenarioResult("commands")
    runs = []
    last: _Repetition | None = None
    for repetition in range(repetitions):
        last = await _one_repetition(workdir / f"store-{repetition}", seconds, repetition)
        runs.append(_metrics(last))
        print(f"  commands repetition {repetition + 1}: {runs[-1]}", flush=True)
    assert last is not None
    result.metrics = median_metrics(runs)
    for name in _SPREAD:
        result.metrics[f"{name}_lowest"] = min(run[name] for run in runs)
        result.metrics[f"{name}_highest"] = max(run[name] for run in runs)
    _rows(result)
    result.latencies_ms = {
        f"commands ({DEFAULT_MODE}), {CONCURRENCY} in flight": last.peaks[DEFAULT_MODE][
            0
        ].latencies_ms,
        **{f"commands ({mode}) at 250/s": last.paced[mode].latencies_ms for mode in MODES},
        "echo at 250/s": last.paced["echo"].latencies_ms,
    }
    result.throughput_series = {
        **{
            f"commands ({mode}, closed loop)": rate_series(last.peaks[mode][0].completed_at)
            for mode in MODES
        },
        "echo (closed loop)": rate_series(last.peaks["echo"][0].completed_at),
    }
    return result


def _rows(result: ScenarioResult) -> None:
    result.add(
        f"throughput, {CONCURRENCY} calls in flight ({DEFAULT_MODE} appends, the default)",
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
    for mode in MODES:
        result.add(
            f"throughput with WRITE_SERVICE_APPEND_MODE={mode}",
            "calls/s",
            f"commands_{mode}_throughput_per_s",
            "echo_throughput_per_s",
            f"commands_{mode}_throughput_ratio_to_echo",
        )
        result.add(
            f"p99 at 250/s with {mode} appends",
            "ms",
            f"commands_{mode}_p99_ms_at_250_per_s",
            "echo_p99_ms_at_250_per_s",
            f"commands_{mode}_p99_ratio_to_echo_p99_at_250_per_s",
        )
        result.add(
            f"CPU per call with {mode} appends (write service + store)",
            "ms",
            f"commands_{mode}_system_cpu_ms_per_command",
        )
    result.add(
        "throughput batch / plain (median of the repetitions' ratios)",
        "ratio",
        "commands_batch_throughput_ratio_to_plain",
    )
    for name in _SPREAD:
        for end in ("lowest", "highest"):
            result.add(f"{name}: {end} repetition", "ratio", f"{name}_{end}")
