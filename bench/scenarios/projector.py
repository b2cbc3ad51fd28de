"""Projector rebuild from a store of more than 100,000 events, next to its raw baselines.

The store is generated once per run (realistic order lifecycles appended straight through
AsyncKurrentDBClient) and copied for each repetition. Each repetition, in its own processes
(bench.rebuild_runner): a raw catch-up read of the same events with the same client, then the
projector's rebuild with its Mongo write stage timed, then the same documents written raw with
one unordered bulk_write per collection into scratch collections of the same database.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Final

from bench.harness import CpuMeter
from bench.order_events import populate
from bench.processes import eventstore, secantus
from bench.results_model import ScenarioResult, median_metrics
from bench.run_options import RunOptions

# About 3.9 events per order, customers included: more than 100,000 events.
ORDERS: Final = 27_000
QUICK_ORDERS: Final = 3000
MAX_REPETITIONS: Final = 3


async def _runner(
    mode: str, eventstore_uri: str, mongo_uri: str, database: str, meter: CpuMeter | None = None
) -> tuple[Any, float]:
    """The runner's JSON outcome, and the CPU ``meter`` saw until the rebuild itself ended."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.rebuild_runner",
        mode,
        eventstore_uri,
        mongo_uri,
        database,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    if meter is not None:
        meter.start()
    cpu = 0.0
    lines = []
    async for line in process.stdout:
        if line.strip() == b"rebuilt" and meter is not None:
            cpu = meter.stop()
        lines.append(line)
    if await process.wait() != 0:
        raise RuntimeError(f"bench.rebuild_runner {mode} failed with {process.returncode}")
    return json.loads(lines[-1]), cpu


def _rates(series: list[list[float]]) -> list[tuple[float, float]]:
    """Events per second between consecutive progress marks."""
    rates = []
    previous_t, previous_n = 0.0, 0.0
    for moment, count in series:
        if moment > previous_t:
            rates.append((moment, (count - previous_n) / (moment - previous_t)))
        previous_t, previous_n = moment, count
    return rates


async def _generate(template: Path, orders: int) -> int:
    with eventstore(template) as store:
        started = time.perf_counter()
        events, _, _ = await populate(store.address, orders)
        elapsed = time.perf_counter() - started
    print(f"  generated {events} events in {elapsed:.0f} s", flush=True)
    return events


async def run(options: RunOptions) -> ScenarioResult:
    workdir = options.workdir
    # Each repetition takes minutes on SecantusDB; three keep `make bench` well under 30 min.
    repetitions = min(options.repetitions, MAX_REPETITIONS)
    result = ScenarioResult("projector")
    template = workdir / "store-template"
    generated = await _generate(template, QUICK_ORDERS if options.quick else ORDERS)
    runs = []
    last: dict[str, Any] = {}
    with secantus(workdir / "mongo") as mongo:
        for repetition in range(repetitions):
            copy = workdir / f"store-{repetition}"
            shutil.copytree(template, copy)
            database = f"bench_projector_{repetition}"
            with eventstore(copy) as store:
                raw, _ = await _runner("raw-read", store.address, mongo.address, database)
                meter = CpuMeter([store.pid, mongo.pid])
                rebuilt, stores_cpu = await _runner(
                    "rebuild", store.address, mongo.address, database, meter
                )
            shutil.rmtree(copy)
            rebuild_rate = rebuilt["events"] / rebuilt["seconds"]
            raw_rate = raw["events"] / raw["seconds"]
            # The write stage: bulk inserts (overlapping the replay) plus creating the indexes.
            write_seconds = rebuilt["bulk_write_seconds"] + rebuilt["index_build_seconds"]
            write_rate = rebuilt["bulk_write_documents"] / write_seconds
            inserts_rate = rebuilt["bulk_write_documents"] / rebuilt["bulk_write_seconds"]
            raw_write_rate = rebuilt["documents"] / rebuilt["raw_bulk_write_seconds"]
            runs.append(
                {
                    "projector_events_in_store": float(generated),
                    "projector_rebuild_events_per_s": rebuild_rate,
                    "projector_raw_read_events_per_s": raw_rate,
                    "projector_rebuild_ratio_to_raw_read": rebuild_rate / raw_rate,
                    "projector_replay_stage_s": rebuilt["replay_seconds"],
                    "projector_write_stage_s": write_seconds,
                    "projector_bulk_inserts_s": rebuilt["bulk_write_seconds"],
                    "projector_index_build_s": rebuilt["index_build_seconds"],
                    "projector_bulk_inserts_documents_per_s": inserts_rate,
                    "projector_bulk_inserts_only_ratio_to_raw_bulk_write": inserts_rate
                    / raw_write_rate,
                    "projector_write_stage_documents_per_s": write_rate,
                    "projector_raw_bulk_write_documents_per_s": raw_write_rate,
                    "projector_write_stage_ratio_to_raw_bulk_write": write_rate / raw_write_rate,
                    # The best a rebuild could do reading and writing at the raw baselines'
                    # speeds: reading everything, then writing everything (as it does now)...
                    "projector_rebuild_ratio_bound_read_then_write": raw["seconds"]
                    / (raw["seconds"] + rebuilt["raw_bulk_write_seconds"]),
                    # ...or writing while it reads (a pipeline limited by its slower stage).
                    "projector_rebuild_ratio_bound_pipelined": raw["seconds"]
                    / max(raw["seconds"], rebuilt["raw_bulk_write_seconds"]),
                    "projector_rebuild_process_cpu_s": rebuilt["cpu_seconds"],
                    "projector_rebuild_stores_cpu_s": stores_cpu,
                    "projector_read_model_documents": float(rebuilt["documents"]),
                }
            )
            print(f"  projector repetition {repetition + 1}: {runs[-1]}", flush=True)
            last = {"rebuild": rebuilt, "raw": raw}
    result.metrics = median_metrics(runs)
    result.add("events in the store", "events", "projector_events_in_store")
    result.add(
        "rebuild (read + fold + write + switch)",
        "events/s",
        "projector_rebuild_events_per_s",
        "projector_raw_read_events_per_s",
        "projector_rebuild_ratio_to_raw_read",
    )
    result.add(
        "Mongo write stage (bulk inserts + index build)",
        "docs/s",
        "projector_write_stage_documents_per_s",
        "projector_raw_bulk_write_documents_per_s",
        "projector_write_stage_ratio_to_raw_bulk_write",
    )
    result.add(
        "best rebuild/raw-read ratio at raw speeds: read then write",
        "ratio",
        "projector_rebuild_ratio_bound_read_then_write",
    )
    result.add(
        "best rebuild/raw-read ratio at raw speeds: pipelined",
        "ratio",
        "projector_rebuild_ratio_bound_pipelined",
    )
    result.add("replay stage (read + fold in memory)", "s", "projector_replay_stage_s")
    result.add(
        "bulk inserts alone (indexes kept up as they go)",
        "docs/s",
        "projector_bulk_inserts_documents_per_s",
        "projector_raw_bulk_write_documents_per_s",
        "projector_bulk_inserts_only_ratio_to_raw_bulk_write",
    )
    result.add(
        "write stage: bulk inserts, partly during the replay", "s", "projector_bulk_inserts_s"
    )
    result.add("write stage: creating the indexes", "s", "projector_index_build_s")
    result.add("rebuild process CPU", "CPU-s", "projector_rebuild_process_cpu_s")
    result.add(
        "event store + SecantusDB CPU during rebuild", "CPU-s", "projector_rebuild_stores_cpu_s"
    )
    result.throughput_series = {
        "rebuild: events read and folded per s": _rates(last["rebuild"]["series"]),
        "raw catch-up read: events per s": _rates(last["raw"]["series"]),
    }
    return result
