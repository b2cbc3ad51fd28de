"""Projector replicas sharing the work: one subscription group of 1, 2 and 4 live replicas
under the same fixed command rate, their CPU per event projected and their write conflicts.
Beside each count of N replicas, a control: one replica alone at 1/N of the rate, which is the
rate each of the N replicas sees. If the N replicas cost per event what one replica costs at
their share of the rate, replicas add no work of their own: the growth is each replica's
smaller batches (a batch's transaction costs about the same whatever it holds).

Each run has an event store and a write service of its own and a database of its own in one
SecantusDB; the counts of replicas alternate within each repetition (1, 2, 4, 1, 2, 4, ...),
so that each ratio compares runs close in time on this shared machine. A replica's CPU is
metered from the moment every replica has recorded itself running (subscribed) until the
replicas have applied every event in the store, customer registrations included; events and
conflicts come from the replicas' own metrics.

Run alone: ``python -m bench --only replicas`` (add ``--quick`` for one short repetition).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import grpc
from pymongo import AsyncMongoClient

from bench.harness import CpuMeter, open_loop
from bench.order_lifecycles import Lifecycles, register_customers
from bench.processes import Running, eventstore, projector_env, secantus, write_service
from bench.results_model import ScenarioResult, median_metrics
from bench.run_options import RunOptions
from bench.scenarios.replicas_metrics import ReplicaCounts, scrape
from orders.v1 import command_service_pb2_grpc
from orders_contracts.read_models import ORDER_SUMMARIES, PROJECTION_STATUS, collection_name
from orders_runtime import processes
from orders_runtime.ports import free_ports
from projector.event_source import eventstore_client, read_all_events
from projector.versions import active_version

REPLICAS: Final = (1, 2, 4)
COMMANDS_PER_SECOND: Final = 60.0
LOAD_SECONDS: Final = 15.0
QUICK_LOAD_SECONDS: Final = 4.0
CUSTOMERS: Final = 200
MAX_REPETITIONS: Final = 5
CATCH_UP_LIMIT_SECONDS: Final = 300.0
POLL_SECONDS: Final = 0.2
# Subscribed replicas with nothing to project, metered before the load: what each costs per
# second whatever the rate (keep-alives, status and health loops), which a fixed rate shares out
# over fewer events per replica as replicas are added.
IDLE_SECONDS: Final = 3.0


@contextlib.contextmanager
def _replica(eventstore_uri: str, mongo_uri: str, database: str, port: int) -> Iterator[Running]:
    env = {**projector_env(eventstore_uri, mongo_uri, database), "METRICS_PORT": str(port)}
    process = processes.start([sys.executable, "-m", "projector", "run"], env=env)
    try:
        yield Running(process, f"127.0.0.1:{port}")
    finally:
        processes.stop(process)


async def _counts(ports: list[int]) -> list[ReplicaCounts | None]:
    return list(await asyncio.gather(*(asyncio.to_thread(scrape, port) for port in ports)))


async def _until(ports: list[int], enough: float) -> ReplicaCounts:
    """The replicas' summed counts once they applied ``enough`` events (or all answer, for 0)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + CATCH_UP_LIMIT_SECONDS
    while True:
        found = await _counts(ports)
        if all(counts is not None for counts in found):
            total = sum((c for c in found if c is not None), ReplicaCounts())
            if total.applied >= enough:
                return total
        if loop.time() > deadline:
            raise RuntimeError(f"the replicas never applied {enough:g} events: {found}")
        await asyncio.sleep(POLL_SECONDS)


async def _all_running(mongo_uri: str, database: str, replicas: int) -> None:
    """Until every replica has recorded itself running (subscribed): its start is not metered."""
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_uri)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + CATCH_UP_LIMIT_SECONDS
    try:
        while True:
            db = mongo[database]
            status = await db[
                collection_name(PROJECTION_STATUS, await active_version(db))
            ].find_one({"_id": ORDER_SUMMARIES})
            states = [r["state"] for r in (status or {}).get("replicas", {}).values()]
            if states.count("running") >= replicas:
                return
            if loop.time() > deadline:
                raise RuntimeError(f"never saw {replicas} replicas running: {states}")
            await asyncio.sleep(POLL_SECONDS)
    finally:
        await mongo.close()


async def _events_in_store(uri: str) -> int:
    client = eventstore_client(uri)
    await client.connect()
    try:
        return sum([1 async for _ in read_all_events(client)])
    finally:
        await client.close()


async def _one_run(
    replicas: int, rate: float, workdir: Path, mongo: Running, database: str, seconds: float
) -> dict[str, float]:
    ports = free_ports(replicas)
    with (
        eventstore(workdir / f"store-{database}") as store,
        write_service(store.address) as writer,
        contextlib.ExitStack() as stack,
    ):
        running = [
            stack.enter_context(_replica(store.address, mongo.address, database, port))
            for port in ports
        ]
        await _until(ports, 0)
        await _all_running(mongo.address, database, replicas)
        meter = CpuMeter([replica.pid for replica in running])
        meter.start()
        await asyncio.sleep(IDLE_SECONDS)
        idle_per_second = meter.stop() / IDLE_SECONDS
        meter.start()
        started = asyncio.get_running_loop().time()
        async with grpc.aio.insecure_channel(writer.address) as channel:
            stub = command_service_pb2_grpc.CommandServiceStub(channel)
            lifecycles = Lifecycles(stub, await register_customers(stub, CUSTOMERS))
            await open_loop(lifecycles.step, rate, seconds)
        events = await _events_in_store(store.address)
        done = await _until(ports, events)
        cpu = meter.stop()
        metered = asyncio.get_running_loop().time() - started
    busy = cpu - idle_per_second * metered
    conflicts = done.write_conflicts + done.replans
    return {
        "events": done.applied,
        "cpu_ms_per_event": 1000 * cpu / done.applied,
        "conflicts_per_1000_events": 1000 * conflicts / done.applied,
        "write_conflicts_per_1000_events": 1000 * done.write_conflicts / done.applied,
        "replans_per_1000_events": 1000 * done.replans / done.applied,
        # A batch costs about the same whatever it holds (a transaction, a progress record, an
        # ack): at a fixed rate, more replicas mean smaller batches.
        "events_per_batch": done.applied / done.batches,
        "cpu_ms_per_batch": 1000 * cpu / done.batches,
        "idle_cpu_ms_per_s_per_replica": 1000 * idle_per_second / replicas,
        # What the events cost beyond the replicas' idle cost over the same time.
        "busy_cpu_ms_per_event": 1000 * busy / done.applied,
    }


def _named(replicas: int, measured: dict[str, float]) -> dict[str, float]:
    suffix = "replica" if replicas == 1 else "replicas"
    return {f"projector_{name}_{replicas}_{suffix}": value for name, value in measured.items()}


async def run(options: RunOptions) -> ScenarioResult:
    repetitions = min(options.repetitions, MAX_REPETITIONS)
    seconds = QUICK_LOAD_SECONDS if options.quick else max(options.seconds, LOAD_SECONDS)
    runs: list[dict[str, float]] = []
    with secantus(options.workdir / "mongo") as mongo:
        for repetition in range(repetitions):
            metrics: dict[str, float] = {}
            per_event: dict[int, float] = {}
            busy_per_event: dict[int, float] = {}
            for replicas in REPLICAS:
                database = f"bench_replicas_{repetition}_{replicas}"
                measured = await _one_run(
                    replicas, COMMANDS_PER_SECOND, options.workdir, mongo, database, seconds
                )
                per_event[replicas] = measured["cpu_ms_per_event"]
                busy_per_event[replicas] = measured["busy_cpu_ms_per_event"]
                metrics |= _named(replicas, measured)
                print(f"  repetition {repetition + 1}, {replicas} replicas: {measured}", flush=True)
                if replicas > 1:
                    alone = await _one_run(
                        1,
                        COMMANDS_PER_SECOND / replicas,
                        options.workdir,
                        mongo,
                        f"{database}_control",
                        seconds,
                    )
                    print(f"  control, 1 replica at 1/{replicas} of the rate: {alone}", flush=True)
                    metrics[f"projector_cpu_ms_per_event_1_replica_at_1_{replicas}_rate"] = alone[
                        "cpu_ms_per_event"
                    ]
                    metrics[
                        f"projector_cpu_per_event_ratio_{replicas}_replicas_to_1_at_1_{replicas}_rate"
                    ] = per_event[replicas] / alone["cpu_ms_per_event"]
            for replicas in REPLICAS[1:]:
                ratio = per_event[replicas] / per_event[1]
                metrics[f"projector_cpu_per_event_ratio_{replicas}_replicas_to_1"] = ratio
                metrics[f"projector_busy_cpu_per_event_ratio_{replicas}_replicas_to_1"] = (
                    busy_per_event[replicas] / busy_per_event[1]
                )
            runs.append(metrics)
    result = ScenarioResult("replicas")
    result.metrics = median_metrics(runs)
    result.metrics["projector_replicas_commands_per_s"] = COMMANDS_PER_SECOND
    result.add("fixed command rate", "commands/s", "projector_replicas_commands_per_s")
    for replicas in REPLICAS:
        suffix = "replica" if replicas == 1 else "replicas"
        single = replicas == 1
        result.add(
            f"projector CPU per event, {replicas} {suffix} (summed)",
            "CPU-ms",
            f"projector_cpu_ms_per_event_{replicas}_{suffix}",
            None if single else "projector_cpu_ms_per_event_1_replica",
            None if single else f"projector_cpu_per_event_ratio_{replicas}_replicas_to_1",
        )
        if not single:
            # Baseline: one replica alone at the share of the rate each of these replicas sees.
            result.add(
                f"projector CPU per event, {replicas} {suffix}, against 1 replica at 1/{replicas}"
                " of the rate",
                "CPU-ms",
                f"projector_cpu_ms_per_event_{replicas}_{suffix}",
                f"projector_cpu_ms_per_event_1_replica_at_1_{replicas}_rate",
                f"projector_cpu_per_event_ratio_{replicas}_replicas_to_1_at_1_{replicas}_rate",
            )
        result.add(
            f"write conflicts + replans per 1000 events, {replicas} {suffix}",
            "per 1000",
            f"projector_conflicts_per_1000_events_{replicas}_{suffix}",
        )
        result.add(
            f"write conflicts alone per 1000 events, {replicas} {suffix}",
            "per 1000",
            f"projector_write_conflicts_per_1000_events_{replicas}_{suffix}",
        )
        result.add(
            f"events per batch, {replicas} {suffix}",
            "events",
            f"projector_events_per_batch_{replicas}_{suffix}",
        )
        result.add(
            f"projector CPU per batch, {replicas} {suffix}",
            "CPU-ms",
            f"projector_cpu_ms_per_batch_{replicas}_{suffix}",
        )
        result.add(
            f"idle CPU per second and replica, {replicas} {suffix}",
            "CPU-ms/s",
            f"projector_idle_cpu_ms_per_s_per_replica_{replicas}_{suffix}",
        )
        result.add(
            f"projector CPU per event beyond the idle cost, {replicas} {suffix}",
            "CPU-ms",
            f"projector_busy_cpu_ms_per_event_{replicas}_{suffix}",
            None if single else "projector_busy_cpu_ms_per_event_1_replica",
            None if single else f"projector_busy_cpu_per_event_ratio_{replicas}_replicas_to_1",
        )
    return result
