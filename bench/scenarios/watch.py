"""Live queries: 1,000 concurrent WatchOrder streams on one read service.

Every part runs as its own process (event store, write service, live projector, SecantusDB,
read service); the watchers are this process's gRPC streams, five per order over 200 orders,
spread over several channels. Lifecycle commands then move random orders on at a fixed rate.

Update latency: from the projection (the document's write, its ``projected_at`` stamped by the
projector) to the message's arrival at a watcher, for every message of every watcher. Its
baseline, measured in the same repetition on the same machine: the same writes' arrival through
a MongoDB change stream of the order summaries opened directly by this process, which is what the
read service's one feed itself gets (the floor under any live query). Memory: the read
service's RSS with the watchers open and caught up, less its RSS before (after a warm-up
stream), per watcher.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import grpc
from pymongo import AsyncMongoClient

from bench.harness import percentile
from bench.processes import eventstore, projector, read_service, secantus, write_service
from bench.results_model import ScenarioResult, median_metrics
from bench.run_options import RunOptions
from orders.v1 import command_service_pb2 as cmd
from orders.v1 import (
    command_service_pb2_grpc,
    consistency_pb2,
    query_service_pb2,
    query_service_pb2_grpc,
    types_pb2,
)
from orders_contracts.read_models import (
    ACTIVE_POINTER_ID,
    ORDER_SUMMARIES,
    READ_MODEL_VERSIONS,
    collection_name,
)

DATABASE: Final = "bench_watch"
PREFIX: Final = "watch"
ORDERS: Final = 200
WATCHERS_PER_ORDER: Final = 5
CHANNELS: Final = 10
UPDATE_RATE: Final = 40.0
CAUGHT_UP = query_service_pb2.WATCH_MESSAGE_KIND_CAUGHT_UP
RESYNC = query_service_pb2.WATCH_MESSAGE_KIND_RESYNC


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def _until(
    check: Callable[[], bool],
    what: str,
    tasks: list[asyncio.Task[None]],
    patience_s: float = 120,
) -> None:
    """Poll ``check`` for up to ``patience_s``; a watcher that failed ends the wait at once."""
    for _ in range(int(patience_s / 0.05)):
        if check():
            return
        for task in tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise RuntimeError(
                    f"a watcher failed while waiting for {what}"
                ) from task.exception()
        await asyncio.sleep(0.05)
    raise RuntimeError(f"gave up waiting for {what}")


def _ms_since(moment: datetime) -> float:
    return (time.time() - moment.timestamp()) * 1000


class _Watchers:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.caught_up = 0
        self.resyncs = 0
        self.messages = 0
        self.recording = False

    async def follow(self, stub: query_service_pb2_grpc.QueryServiceAsyncStub, order: str) -> None:
        async for message in stub.WatchOrder(query_service_pb2.WatchOrderRequest(order_id=order)):
            self.messages += 1
            if message.kind == CAUGHT_UP:
                self.caught_up += 1
                continue
            if message.kind == RESYNC:
                self.resyncs += 1
            if self.recording:
                projected = message.read_metadata.projected_at.ToMicroseconds() / 1e6
                self.latencies.append((time.time() - projected) * 1000)


async def _change_stream(mongo_uri: str, latencies: list[float], recording: list[bool]) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_uri, tz_aware=True)
    try:
        db = client[DATABASE]
        pointer = await db[READ_MODEL_VERSIONS].find_one({"_id": ACTIVE_POINTER_ID})
        version = 1 if pointer is None else int(pointer["version"])
        summaries = db[collection_name(ORDER_SUMMARIES, version)]
        async with await summaries.watch(max_await_time_ms=200) as stream:
            recording.append(True)
            async for change in stream:
                document = change.get("fullDocument")
                if recording[-1] and document is not None and document.get("projected_at"):
                    latencies.append(_ms_since(document["projected_at"]))
    finally:
        await client.close()


async def _place(
    stub: command_service_pb2_grpc.CommandServiceAsyncStub, order: str
) -> consistency_pb2.ConsistencyToken:
    placed = await stub.PlaceOrder(
        cmd.PlaceOrderRequest(
            idempotency_key=uuid.uuid4().hex,
            order_id=order,
            customer_id="c-watch",
            lines=[
                types_pb2.OrderLine(
                    sku="sku-1",
                    quantity=2,
                    unit_price=types_pb2.Money(currency_code="EUR", amount_minor=1250),
                )
            ],
        )
    )
    return placed.consistency_token


async def _advance(
    stub: command_service_pb2_grpc.CommandServiceAsyncStub, order: str, step: int
) -> consistency_pb2.ConsistencyToken:
    key = uuid.uuid4().hex
    if step == 1:
        amount = types_pb2.Money(currency_code="EUR", amount_minor=2500)
        paid = await stub.ProcessPayment(
            cmd.ProcessPaymentRequest(
                idempotency_key=key, order_id=order, amount=amount, method="card"
            )
        )
        return paid.consistency_token
    if step == 2:
        shipped = await stub.ShipOrder(
            cmd.ShipOrderRequest(
                idempotency_key=key, order_id=order, carrier="DHL", tracking_number="T"
            )
        )
        return shipped.consistency_token
    delivered = await stub.DeliverOrder(
        cmd.DeliverOrderRequest(idempotency_key=key, order_id=order)
    )
    return delivered.consistency_token


async def _one_repetition(
    workdir: Path, seconds: float
) -> tuple[dict[str, float], dict[str, list[float]]]:
    rng = random.Random(5)
    with (
        secantus(workdir / "mongo") as mongo,
        eventstore(workdir / "store") as store,
        write_service(store.address) as writer,
        projector(store.address, mongo.address, DATABASE),
        read_service(mongo.address, DATABASE) as reader,
    ):
        async with contextlib.AsyncExitStack() as exits:
            write = await exits.enter_async_context(grpc.aio.insecure_channel(writer.address))
            commands = command_service_pb2_grpc.CommandServiceStub(write)
            await commands.RegisterCustomer(
                cmd.RegisterCustomerRequest(
                    idempotency_key="register/c-watch",
                    customer_id="c-watch",
                    name="Watcher",
                    email="w@example.com",
                )
            )
            orders = [f"o-{uuid.uuid4().hex[:8]}-{n}" for n in range(ORDERS)]
            for order in orders:
                last = await _place(commands, order)
            channels = [
                await exits.enter_async_context(grpc.aio.insecure_channel(reader.address))
                for _ in range(CHANNELS)
            ]
            stubs = [query_service_pb2_grpc.QueryServiceStub(c) for c in channels]
            watchers = _Watchers()
            tasks: list[asyncio.Task[None]] = []
            # One stream first: the read service's lazily built state, the projector caught up.
            queries = stubs[0]
            await queries.GetOrderSummary(
                query_service_pb2.GetOrderSummaryRequest(
                    order_id=orders[-1], consistency=consistency_pb2.ReadConsistency(min_token=last)
                ),
                timeout=60,
            )
            tasks.append(asyncio.create_task(watchers.follow(stubs[0], orders[-1])))
            await _until(lambda: watchers.caught_up >= 1, "the first watcher", tasks)
            await asyncio.sleep(1.0)
            rss_before = _rss_kib(reader.pid)
            started = time.perf_counter()
            for index in range(ORDERS * WATCHERS_PER_ORDER):
                stub = stubs[index % CHANNELS]
                tasks.append(asyncio.create_task(watchers.follow(stub, orders[index % ORDERS])))
            total = 1 + ORDERS * WATCHERS_PER_ORDER
            await _until(lambda: watchers.caught_up >= total, "every watcher caught up", tasks)
            open_seconds = time.perf_counter() - started
            await asyncio.sleep(1.0)
            rss_after = _rss_kib(reader.pid)

            baseline: list[float] = []
            recording: list[bool] = []
            feed = asyncio.create_task(_change_stream(mongo.address, baseline, recording))
            await _until(lambda: bool(recording), "the baseline change stream", [feed])
            watchers.recording = True
            steps = dict.fromkeys(orders, 0)
            interval = 1 / UPDATE_RATE
            sent = 0
            newest = last
            deadline = time.perf_counter() + seconds
            while time.perf_counter() < deadline:
                movable = [o for o, s in steps.items() if s < 3]
                if not movable:
                    break
                order = rng.choice(movable)
                steps[order] += 1
                newest = await _advance(commands, order, steps[order])
                sent += 1
                await asyncio.sleep(interval)
            await queries.GetOrderSummary(
                query_service_pb2.GetOrderSummaryRequest(
                    order_id=newest.stream.removeprefix("order-"),
                    consistency=consistency_pb2.ReadConsistency(min_token=newest),
                ),
                timeout=60,
            )
            # Every write the change stream saw (commands on one order that the projector
            # applied in one batch are one write), delivered to the order's five watchers.
            with contextlib.suppress(RuntimeError):
                await _until(
                    lambda: len(watchers.latencies) >= len(baseline) * WATCHERS_PER_ORDER,
                    "every delivery",
                    tasks,
                    patience_s=30,
                )
            expected = len(baseline) * WATCHERS_PER_ORDER
            watchers.recording = False
            feed.cancel()
            for task in tasks:
                task.cancel()
            await asyncio.gather(feed, *tasks, return_exceptions=True)
    watchers_count = ORDERS * WATCHERS_PER_ORDER
    latencies = watchers.latencies
    figures = {
        f"{PREFIX}_watchers": float(watchers_count),
        f"{PREFIX}_open_and_catch_up_s": open_seconds,
        f"{PREFIX}_rss_per_watcher_kib": (rss_after - rss_before) / watchers_count,
        f"{PREFIX}_rss_before_mib": rss_before / 1024,
        f"{PREFIX}_rss_with_watchers_mib": rss_after / 1024,
        f"{PREFIX}_changes_sent": float(sent),
        f"{PREFIX}_deliveries": float(len(latencies)),
        f"{PREFIX}_deliveries_expected": float(expected),
        f"{PREFIX}_deliveries_missing": float(max(0, expected - len(latencies))),
        f"{PREFIX}_resyncs": float(watchers.resyncs),
        f"{PREFIX}_update_p50_ms": percentile(latencies, 0.5),
        f"{PREFIX}_update_p99_ms": percentile(latencies, 0.99),
        f"{PREFIX}_change_stream_p50_ms": percentile(baseline, 0.5),
        f"{PREFIX}_change_stream_p99_ms": percentile(baseline, 0.99),
    }
    figures[f"{PREFIX}_update_p50_ratio_to_change_stream"] = (
        figures[f"{PREFIX}_update_p50_ms"] / figures[f"{PREFIX}_change_stream_p50_ms"]
    )
    figures[f"{PREFIX}_update_p99_ratio_to_change_stream"] = (
        figures[f"{PREFIX}_update_p99_ms"] / figures[f"{PREFIX}_change_stream_p99_ms"]
    )
    return figures, {
        "projection -> WatchOrder delivery (1,000 watchers)": latencies,
        "projection -> change stream delivery (baseline)": baseline,
    }


async def run(options: RunOptions) -> ScenarioResult:
    result = ScenarioResult("watch")
    runs = []
    latencies: dict[str, list[float]] = {}
    for repetition in range(options.repetitions):
        figures, latencies = await _one_repetition(
            options.workdir / f"rep-{repetition}", options.seconds
        )
        runs.append(figures)
        print(f"  watch repetition {repetition + 1}: {figures}", flush=True)
    result.metrics = median_metrics(runs)
    result.latencies_ms = latencies
    m = f"{PREFIX}_"
    result.add(
        "update latency p50, projection -> watcher (1,000 watchers)",
        "ms",
        m + "update_p50_ms",
        m + "change_stream_p50_ms",
        m + "update_p50_ratio_to_change_stream",
    )
    result.add(
        "update latency p99, projection -> watcher (1,000 watchers)",
        "ms",
        m + "update_p99_ms",
        m + "change_stream_p99_ms",
        m + "update_p99_ratio_to_change_stream",
    )
    result.add("read service RSS per watcher", "KiB", m + "rss_per_watcher_kib")
    result.add("read service RSS with 1,000 watchers", "MiB", m + "rss_with_watchers_mib")
    result.add("opening 1,000 watchers until all caught up", "s", m + "open_and_catch_up_s")
    result.add("messages delivered", "", m + "deliveries")
    result.add("... expected (writes the change stream saw x 5)", "", m + "deliveries_expected")
    result.add("RESYNC messages (slow watchers)", "", m + "resyncs")
    return result
