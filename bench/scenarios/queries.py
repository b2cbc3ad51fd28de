"""Queries through the read service, per read-service CPU-second, next to echo and raw finds.

The read models are filled once per run: generated order lifecycles appended to the event
store, then `python -m projector rebuild`. Two read services serve them: one as configured by
default, whose answer cache is warmed by reading every order and every customer's first page
once (nothing writes during this scenario, so every later read is a hit), and one with the
cache off, where every query is a MongoDB round trip. Each repetition: GetOrderSummary and
ListCustomerOrders at full load (closed loop) on both, with the serving process's CPU metered,
then at a fixed rate for latency; the echo service at full load with its own CPU metered; and
the same reads done raw (find_one by _id, find of a customer's newest ten) with the same driver
(pymongo async) from the bench process, with SecantusDB's CPU metered for both.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Final

import grpc
from pymongo import AsyncMongoClient

from bench.echo import echo_stub
from bench.harness import closed_loop, interleaved, open_loop, percentile
from bench.order_events import populate
from bench.processes import (
    Running,
    echo_server,
    eventstore,
    read_service,
    rebuild_read_models,
    secantus,
)
from bench.results_model import ScenarioResult, median_metrics
from bench.run_options import RunOptions
from orders.v1 import query_service_pb2 as pb
from orders.v1 import query_service_pb2_grpc as pb_grpc
from orders_contracts.read_models import (
    ACTIVE_POINTER_ID,
    ORDER_SUMMARIES,
    READ_MODEL_VERSIONS,
    collection_name,
)

ORDERS: Final = 2000
QUICK_ORDERS: Final = 500
CONCURRENCY: Final = 32
RATE: Final = 50.0
DATABASE: Final = "bench_queries"
WARM_UP_SECONDS: Final = 0.5
# The five loads alternate in this many slices (see harness.interleaved).
SLICES: Final = 3
NEWEST_FIRST: Final = [("created_at", -1), ("_id", -1)]


async def warm(service: Running, orders: list[str], customers: list[str]) -> None:
    """Every answer the loads will ask for, read once, so the cache holds them all."""
    async with grpc.aio.insecure_channel(service.address) as channel:
        queries = pb_grpc.QueryServiceStub(channel)
        for order_id in orders:
            await queries.GetOrderSummary(pb.GetOrderSummaryRequest(order_id=order_id))
        for customer_id in customers:
            await queries.ListCustomerOrders(pb.ListCustomerOrdersRequest(customer_id=customer_id))


async def _one_repetition(
    service: Running,
    uncached: Running,
    mongo: Running,
    orders: list[str],
    customers: list[str],
    seconds: float,
) -> tuple[dict[str, float], dict[str, list[float]]]:
    rng = random.Random(11)
    payload = pb.GetOrderSummaryRequest(order_id=orders[0]).SerializeToString()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo.address, tz_aware=True)
    db = client[DATABASE]
    pointer = await db[READ_MODEL_VERSIONS].find_one({"_id": ACTIVE_POINTER_ID})
    assert pointer is not None, "the rebuild left no active read-model version"
    summaries = db[collection_name(ORDER_SUMMARIES, int(pointer["version"]))]
    try:
        with echo_server() as echo:
            async with (
                grpc.aio.insecure_channel(echo.address) as echo_channel,
                grpc.aio.insecure_channel(service.address) as channel,
                grpc.aio.insecure_channel(uncached.address) as uncached_channel,
            ):
                echo_call = echo_stub(echo_channel)
                queries = pb_grpc.QueryServiceStub(channel)
                uncached_queries = pb_grpc.QueryServiceStub(uncached_channel)

                def echo_once() -> Awaitable[object]:
                    return echo_call(payload)

                def summary(stub: pb_grpc.QueryServiceAsyncStub = queries) -> Awaitable[object]:
                    request = pb.GetOrderSummaryRequest(order_id=rng.choice(orders))
                    return stub.GetOrderSummary(request)

                def listing(stub: pb_grpc.QueryServiceAsyncStub = queries) -> Awaitable[object]:
                    request = pb.ListCustomerOrdersRequest(customer_id=rng.choice(customers))
                    return stub.ListCustomerOrders(request)

                def find_one() -> Awaitable[object]:
                    return summaries.find_one({"_id": rng.choice(orders)})

                async def find() -> object:
                    cursor = summaries.find({"customer_id": rng.choice(customers)})
                    return await cursor.sort(NEWEST_FIRST).limit(10).to_list()

                loads: dict[str, tuple[Callable[[], Awaitable[object]], list[int]]] = {
                    "echo": (echo_once, [echo.pid]),
                    "get_summary": (summary, [service.pid]),
                    "list_customer_orders": (listing, [service.pid]),
                    "get_summary_uncached": (partial(summary, uncached_queries), [uncached.pid]),
                    "list_customer_orders_uncached": (
                        partial(listing, uncached_queries),
                        [uncached.pid],
                    ),
                    "raw_find_one": (find_one, [mongo.pid]),
                    "raw_find": (find, [mongo.pid]),
                }
                for call, _ in loads.values():
                    await closed_loop(call, CONCURRENCY, WARM_UP_SECONDS)
                measured = await interleaved(loads, CONCURRENCY, seconds, SLICES)
                latencies = {
                    f"{name} at {RATE:.0f}/s": (await open_loop(call, RATE, seconds)).latencies_ms
                    for name, call in (("get_summary", summary), ("list_customer_orders", listing))
                }
    finally:
        await client.close()
    figures: dict[str, float] = {}
    echo_load, echo_cpu = measured["echo"]
    figures["echo_calls_per_s"] = echo_load.per_second
    figures["echo_calls_per_echo_cpu_s"] = echo_load.operations / echo_cpu
    for raw in ("find_one", "find"):
        load, cpu = measured[f"raw_{raw}"]
        figures[f"raw_{raw}_per_s"] = load.per_second
        figures[f"raw_{raw}_mongo_cpu_ms_per_call"] = 1000 * cpu / load.operations
    for name, raw in (("get_summary", "find_one"), ("list_customer_orders", "find")):
        load, cpu = measured[name]
        figures[f"queries_{name}_per_s"] = load.per_second
        figures[f"queries_{name}_per_cpu_s"] = load.operations / cpu
        paced = latencies[f"{name} at {RATE:.0f}/s"]
        figures[f"queries_{name}_p50_ms_at_{RATE:.0f}_per_s"] = percentile(paced, 0.5)
        figures[f"queries_{name}_p99_ms_at_{RATE:.0f}_per_s"] = percentile(paced, 0.99)
        figures[f"queries_{name}_per_cpu_s_ratio_to_echo"] = (
            figures[f"queries_{name}_per_cpu_s"] / figures["echo_calls_per_echo_cpu_s"]
        )
        figures[f"queries_{name}_ratio_to_raw_{raw}"] = (
            figures[f"queries_{name}_per_s"] / figures[f"raw_{raw}_per_s"]
        )
        load, cpu = measured[f"{name}_uncached"]
        figures[f"queries_{name}_uncached_per_cpu_s"] = load.operations / cpu
        figures[f"queries_{name}_uncached_per_cpu_s_ratio_to_echo"] = (
            figures[f"queries_{name}_uncached_per_cpu_s"] / figures["echo_calls_per_echo_cpu_s"]
        )
    return figures, latencies


async def run(options: RunOptions) -> ScenarioResult:
    workdir, repetitions, seconds = options.workdir, options.repetitions, options.seconds
    result = ScenarioResult("queries")
    runs = []
    latencies: dict[str, list[float]] = {}
    with secantus(workdir / "mongo") as mongo:
        with eventstore(workdir / "store") as store:
            _, customers, orders = await populate(
                store.address, QUICK_ORDERS if options.quick else ORDERS
            )
            rebuild_read_models(store.address, mongo.address, DATABASE)
        with (
            read_service(mongo.address, DATABASE) as service,
            read_service(mongo.address, DATABASE, cache=False) as uncached,
        ):
            await warm(service, orders, customers)
            for repetition in range(repetitions):
                figures, latencies = await _one_repetition(
                    service, uncached, mongo, orders, customers, seconds
                )
                runs.append(figures)
                print(f"  queries repetition {repetition + 1}: {figures}", flush=True)
    result.metrics = median_metrics(runs)
    rate = f"{RATE:.0f}"
    for name, raw, label in (
        ("get_summary", "find_one", "GetOrderSummary"),
        ("list_customer_orders", "find", "ListCustomerOrders"),
    ):
        result.add(
            f"{label} per read-service CPU-s (echo: per echo CPU-s)",
            "calls/CPU-s",
            f"queries_{name}_per_cpu_s",
            "echo_calls_per_echo_cpu_s",
            f"queries_{name}_per_cpu_s_ratio_to_echo",
        )
        result.add(
            f"{label} per CPU-s, answer cache off (echo: per echo CPU-s)",
            "calls/CPU-s",
            f"queries_{name}_uncached_per_cpu_s",
            "echo_calls_per_echo_cpu_s",
            f"queries_{name}_uncached_per_cpu_s_ratio_to_echo",
        )
        result.add(
            f"{label} throughput (raw {raw} with pymongo async)",
            "calls/s",
            f"queries_{name}_per_s",
            f"raw_{raw}_per_s",
            f"queries_{name}_ratio_to_raw_{raw}",
        )
        result.add(f"{label} p50 at {rate}/s", "ms", f"queries_{name}_p50_ms_at_{rate}_per_s")
        result.add(f"{label} p99 at {rate}/s", "ms", f"queries_{name}_p99_ms_at_{rate}_per_s")
    result.latencies_ms = latencies
    return result
