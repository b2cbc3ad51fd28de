"""Where the time goes: py-spy attached to a system under test while the bench loads it.

`python -m bench.profiling commands|queries|projector|rebuild [--seconds S]` writes collapsed
stacks to $TMPDIR/bench-profiles/<process>.txt and prints each process's top functions. py-spy
is not a dependency of the project: install it for yourself (`.venv/bin/pip install py-spy`).

Percentages are of the samples of the event-loop thread (stacks through asyncio's runner).
Background threads are left out: gRPC's completion-queue poller and pymongo's and asyncio's
executor threads spend their time blocked in C, which py-spy cannot always tell from work.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import grpc

from bench.harness import closed_loop
from bench.order_events import populate
from bench.order_lifecycles import Lifecycles, register_customers
from bench.processes import (
    eventstore,
    projector,
    read_service,
    rebuild_read_models,
    secantus,
    write_service,
)
from orders.v1 import command_service_pb2_grpc, query_service_pb2, query_service_pb2_grpc

PROFILES = Path(tempfile.gettempdir()) / "bench-profiles"
_LINE = re.compile(r":\d+\)$")


@contextlib.contextmanager
def _recording(name: str, pid: int, seconds: float) -> Iterator[None]:
    executable = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    PROFILES.mkdir(parents=True, exist_ok=True)
    argv = [executable, "record", "-r", "200", "-d", str(int(seconds)), "-f", "raw"]
    argv += ["-o", str(PROFILES / f"{name}.txt"), "-p", str(pid)]
    spy = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        spy.wait()


def top_functions(path: Path, count: int = 15) -> str:
    """Own time and inclusive time of the event-loop thread's busiest functions."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        if "Runner.run" not in stack:
            continue
        frames = [_LINE.sub(")", frame) for frame in stack.split(";")]
        total += int(samples)
        own[frames[-1]] += int(samples)
        for frame in set(frames):
            inclusive[frame] += int(samples)
    lines = [f"{path.stem}: {total} event-loop samples", "own time:"]
    lines += [f"  {100 * n / total:5.1f}%  {f}" for f, n in own.most_common(count)]
    lines.append("inclusive (asyncio and start-up frames left out):")
    ours = [
        (f, n) for f, n in inclusive.most_common() if not re.search(r"asyncio/|runpy|__main", f)
    ]
    lines += [f"  {100 * n / total:5.1f}%  {f}" for f, n in ours[: count * 2]]
    return "\n".join(lines)


async def _commands(seconds: float) -> list[str]:
    with (
        tempfile.TemporaryDirectory() as workdir,
        eventstore(Path(workdir)) as store,
        write_service(store.address) as service,
    ):
        async with grpc.aio.insecure_channel(service.address) as channel:
            stub = command_service_pb2_grpc.CommandServiceStub(channel)
            lifecycles = Lifecycles(stub, await register_customers(stub, 50))
            await closed_loop(lifecycles.step, 64, 1.0)
            with (
                _recording("write_service", service.pid, seconds),
                _recording("eventstore_lite", store.pid, seconds),
            ):
                await closed_loop(lifecycles.step, 64, seconds + 1)
    return ["write_service", "eventstore_lite"]


async def _queries(seconds: float) -> list[str]:
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as workdir, secantus(Path(workdir) / "mongo") as mongo:
        with eventstore(Path(workdir) / "store") as store:
            _, customers, orders = await populate(store.address, 500)
            rebuild_read_models(store.address, mongo.address, "profile")
        with read_service(mongo.address, "profile") as service:
            async with grpc.aio.insecure_channel(service.address) as channel:
                stub = query_service_pb2_grpc.QueryServiceStub(channel)

                async def summary() -> object:
                    request = query_service_pb2.GetOrderSummaryRequest(order_id=rng.choice(orders))
                    return await stub.GetOrderSummary(request)

                async def listing() -> object:
                    customer = rng.choice(customers)
                    request = query_service_pb2.ListCustomerOrdersRequest(customer_id=customer)
                    return await stub.ListCustomerOrders(request)

                for name, call in (("get_summary", summary), ("list_customer_orders", listing)):
                    await closed_loop(call, 32, 1.0)
                    with _recording(f"read_service_{name}", service.pid, seconds):
                        await closed_loop(call, 32, seconds + 1)
    return ["read_service_get_summary", "read_service_list_customer_orders"]


async def _projector(seconds: float) -> list[str]:
    """The live projector working off a backlog of 2,000 orders (about 7,800 events)."""
    with (
        tempfile.TemporaryDirectory() as workdir,
        secantus(Path(workdir) / "mongo") as mongo,
        eventstore(Path(workdir) / "store") as store,
    ):
        await populate(store.address, 2000)
        with projector(store.address, mongo.address, "profile") as process:
            await asyncio.sleep(2)
            with _recording("projector_live", process.pid, seconds):
                await asyncio.sleep(seconds + 1)
    return ["projector_live"]


async def _rebuild(seconds: float) -> list[str]:
    """The rebuild runner from start to end on about 30,000 events, the event store alongside."""
    with (
        tempfile.TemporaryDirectory() as workdir,
        secantus(Path(workdir) / "mongo") as mongo,
        eventstore(Path(workdir) / "store") as store,
    ):
        await populate(store.address, 8000)
        executable = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        argv = [executable, "record", "-r", "200", "-f", "raw"]
        argv += ["-o", str(PROFILES / "rebuild_runner.txt"), "--", sys.executable]
        argv += ["-m", "bench.rebuild_runner", "rebuild", store.address, mongo.address, "p"]
        PROFILES.mkdir(parents=True, exist_ok=True)
        with _recording("eventstore_during_rebuild", store.pid, seconds):
            runner = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.PIPE)
            output, _ = await runner.communicate()
        print(output.decode().strip()[:400])
    return ["rebuild_runner", "eventstore_during_rebuild"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("target", choices=("commands", "queries", "projector", "rebuild"))
    parser.add_argument("--seconds", type=float, default=12.0)
    arguments = parser.parse_args()
    profile = {
        "commands": _commands,
        "queries": _queries,
        "projector": _projector,
        "rebuild": _rebuild,
    }
    names = asyncio.run(profile[arguments.target](arguments.seconds))
    for name in names:
        print(top_functions(PROFILES / f"{name}.txt"))


if __name__ == "__main__":
    main()
