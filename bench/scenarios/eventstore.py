"""eventstore_lite through the official async client, next to the bare echo service.

Measures appends per second (one event per append, and ten; one-event appends both through the
client's public call and on one shared BatchAppend call, the write service's two append modes,
alternating in slices), events per second read from $all,
and persistent-subscription deliveries per second; the baseline is the echo service's unary
calls per second with the same concurrency, all in the same run.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import get_args

import grpc
from kurrentdbclient import AsyncKurrentDBClient, NewEvent, StreamState

from bench.echo import echo_stub
from bench.harness import CpuMeter, closed_loop, interleaved, median
from bench.processes import echo_server, eventstore
from bench.results_model import ScenarioResult
from bench.run_options import RunOptions
from write_service.event_appender import AppendMode, ClientAppender, EventAppender, appender_for

PAYLOAD = b'{"order_id":"o-1","customer_id":"c-1","lines":[{"sku":"sku-1","quantity":2}]}'
CONCURRENCY = 32
SLICES = 4


async def echo_calls_per_second(seconds: float) -> float:
    with echo_server() as server:
        async with grpc.aio.insecure_channel(server.address) as channel:
            stub = echo_stub(channel)
            await stub(PAYLOAD)
            result = await closed_loop(lambda: stub(PAYLOAD), CONCURRENCY, seconds)
    return result.per_second


def _appending(appender: EventAppender, batch: int) -> Callable[[], Awaitable[int]]:
    streams = itertools.count()
    prefix = uuid.uuid4().hex[:8]

    def append() -> Awaitable[int]:
        events = [NewEvent(type="BenchEvent", data=PAYLOAD) for _ in range(batch)]
        stream = f"bench-{prefix}-{next(streams) % 1000}"
        return appender.append(stream, events, StreamState.ANY, time_limit=30.0)

    return append


async def _appends_per_second(client: AsyncKurrentDBClient, batch: int, seconds: float) -> float:
    result = await closed_loop(_appending(ClientAppender(client), batch), CONCURRENCY, seconds)
    return result.per_second


async def _appends_per_second_by_mode(
    client: AsyncKurrentDBClient, seconds: float
) -> dict[str, float]:
    """Appends of one event through each of the write service's appenders, alternating in
    slices on one client, so both see the same load."""
    appenders = {mode: appender_for(mode, client) for mode in get_args(AppendMode)}
    loads: dict[str, tuple[Callable[[], Awaitable[int]], list[int]]] = {
        mode: (_appending(appender, 1), []) for mode, appender in appenders.items()
    }
    merged = await interleaved(loads, CONCURRENCY, seconds, SLICES)
    for appender in appenders.values():
        await appender.close()
    return {mode: load.per_second for mode, (load, _) in merged.items()}


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
    echo, one, shared, ten, reads, deliveries, cpu = [], [], [], [], [], [], []
    for repetition in range(repetitions):
        echo.append(await echo_calls_per_second(seconds))
        with eventstore(workdir / f"eventstore-{repetition}") as server:
            client = AsyncKurrentDBClient(server.address)
            await client.connect()
            meter = CpuMeter([server.pid])
            meter.start()
            by_mode = await _appends_per_second_by_mode(client, seconds)
            one.append(by_mode["plain"])
            shared.append(by_mode["batch"])
            ten.append(await _appends_per_second(client, 10, seconds))
            cpu.append(meter.stop())
            rate, count = await _read_all_events_per_second(client)
            reads.append(rate)
            deliveries.append(await _deliveries_per_second(client, min(count, 20_000)))
            await client.close()
    echo_rate = median(echo)
    figures = {
        "eventstore_appends_1_event_per_s": median(one),
        "eventstore_appends_1_event_on_one_shared_call_per_s": median(shared),
        "eventstore_appends_of_10_events_per_s": median(ten),
        "eventstore_read_all_events_per_s": median(reads),
        "eventstore_persistent_deliveries_per_s": median(deliveries),
    }
    result.metrics["echo_calls_per_s"] = echo_rate
    result.metrics["eventstore_appends_shared_call_ratio_to_per_call"] = median(
        [batch / plain for batch, plain in zip(shared, one, strict=True)]
    )
    result.metrics["eventstore_append_cpu_s"] = median(cpu)
    for name, value in figures.items():
        result.metrics[name] = value
        result.metrics[f"{name.removesuffix('_per_s')}_ratio_to_echo"] = value / echo_rate
        unit = "appends/s" if "appends" in name else "events/s"
        result.rows.append((name, value, echo_rate, value / echo_rate, unit))
    return result
