"""eventstore_lite through the official async client, next to the bare echo service.

Measures appends per second (one event per append, and ten), events per second read from $all,
and persistent-subscription deliveries per second; the baseline is the echo service's unary
calls per second with the same concurrency, all in the same run.
"""

from __future__ import annotations

import itertools
import time
import uuid

import grpc
from kurrentdbclient import AsyncKurrentDBClient, NewEvent, StreamState

from bench.echo import echo_stub
from bench.harness import CpuMeter, closed_loop, median
from bench.processes import echo_server, eventstore
from bench.results_model import ScenarioResult
from bench.run_options import RunOptions

PAYLOAD = b'{"order_id":"o-1","customer_id":"c-1","lines":[{"sku":"sku-1","quantity":2}]}'
CONCURRENCY = 32


async def echo_calls_per_second(seconds: float) -> float:
    with echo_server() as server:
        async with grpc.aio.insecure_channel(server.address) as channel:
            stub = echo_stub(channel)
            await stub(PAYLOAD)
            result = await closed_loop(lambda: stub(PAYLOAD), CONCURRENCY, seconds)
    return result.per_second


async def _appends_per_second(client: AsyncKurrentDBClient, batch: int, seconds: float) -> float:
    streams = itertools.count()
    prefix = uuid.uuid4().hex[:8]

    async def append() -> None:
        events = [NewEvent(type="BenchEvent", data=PAYLOAD) for _ in range(batch)]
        await client.append_to_stream(
            f"bench-{prefix}-{next(streams) % 1000}", events=events, current_version=StreamState.ANY
        )

    result = await closed_loop(append, CONCURRENCY, seconds)
    return result.per_second


async def _read_all_events_per_second(client: AsyncKurrentDBClient) -> tuple[float, int]:
    started = time.perf_counter()
    count = 0
    async for _ in await client.read_all():
        count += 1
    return count / (time.perf_counter() - started), count


async def _deliveries_per_second(client: AsyncKurrentDBClient, expected: int) -> float:
    group = f"bench-{uuid.uuid4().hex[:8]}"
    await client.create_subscription_to_all(
        group, from_end=False, filter_include=("bench-.*",), filter_by_stream_name=True
    )
    subscription = await client.read_subscription_to_all(group)
    started = time.perf_counter()
    received = 0
    async for event in subscription:
        await subscription.ack(event)
        received += 1
        if received >= expected:
            break
    elapsed = time.perf_counter() - started
    await subscription.stop()
    return received / elapsed


async def run(options: RunOptions) -> ScenarioResult:
    workdir, repetitions, seconds = options.workdir, options.repetitions, options.seconds
    result = ScenarioResult("eventstore")
    echo, one, ten, reads, deliveries, cpu = [], [], [], [], [], []
    for repetition in range(repetitions):
        echo.append(await echo_calls_per_second(seconds))
        with eventstore(workdir / f"eventstore-{repetition}") as server:
            client = AsyncKurrentDBClient(server.address)
            await client.connect()
            meter = CpuMeter([server.pid])
            meter.start()
            one.append(await _appends_per_second(client, 1, seconds))
            ten.append(await _appends_per_second(client, 10, seconds))
            cpu.append(meter.stop())
            rate, count = await _read_all_events_per_second(client)
            reads.append(rate)
            deliveries.append(await _deliveries_per_second(client, min(count, 20_000)))
            await client.close()
    echo_rate = median(echo)
    figures = {
        "eventstore_appends_1_event_per_s": median(one),
        "eventstore_appends_of_10_events_per_s": median(ten),
        "eventstore_read_all_events_per_s": median(reads),
        "eventstore_persistent_deliveries_per_s": median(deliveries),
    }
    result.metrics["echo_calls_per_s"] = echo_rate
    result.metrics["eventstore_append_cpu_s"] = median(cpu)
    for name, value in figures.items():
        result.metrics[name] = value
        result.metrics[f"{name.removesuffix('_per_s')}_ratio_to_echo"] = value / echo_rate
        unit = "appends/s" if "appends" in name else "events/s"
        result.rows.append((name, value, echo_rate, value / echo_rate, unit))
    return result
