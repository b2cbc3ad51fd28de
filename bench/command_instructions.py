"""Instructions the write service executes per command, counted by valgrind's callgrind: a
figure that, unlike the commands scenario's throughput, other work on the machine does not move.

`python -m bench.command_instructions [--commands N]` starts an event store and the write service
under callgrind with counting off, warms the service up with lifecycle commands (the same mix as
the commands scenario), counts N more commands sent by CONCURRENCY callers, and prints the
instructions per command. Needs valgrind on the PATH.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Final

import grpc

from bench.order_lifecycles import Lifecycles, register_customers
from bench.processes import _service_env, eventstore
from orders.v1 import command_service_pb2_grpc as pb_grpc
from orders_runtime import processes
from orders_runtime.ports import LOCALHOST, free_port
from orders_runtime.probes import tcp_open

CONCURRENCY: Final = 8
CUSTOMERS: Final = 50
WARM_UP_COMMANDS: Final = 600
# Python under valgrind starts some fifty times slower.
START_TIMEOUT_SECONDS: Final = 900.0
_TOTALS = re.compile(r"^summary: (\d+)", re.MULTILINE)


async def _send(lifecycles: Lifecycles, commands: int) -> None:
    remaining = iter(range(commands))

    async def caller() -> None:
        for _ in remaining:
            await lifecycles.step()

    await asyncio.gather(*(caller() for _ in range(CONCURRENCY)))


async def _instrument(pid: int, state: str) -> None:
    control = await asyncio.create_subprocess_exec(
        "callgrind_control", f"--instr={state}", str(pid), stdout=asyncio.subprocess.DEVNULL
    )
    if await control.wait():
        raise SystemExit(f"callgrind_control --instr={state} failed")


async def _count(address: str, pid: int, commands: int) -> None:
    async with grpc.aio.insecure_channel(address) as channel:
        stub = pb_grpc.CommandServiceStub(channel)
        lifecycles = Lifecycles(stub, await register_customers(stub, CUSTOMERS))
        await _send(lifecycles, WARM_UP_COMMANDS)
        await _instrument(pid, "on")
        await _send(lifecycles, commands)
        await _instrument(pid, "off")
        if lifecycles.errors:
            raise SystemExit(f"{lifecycles.errors} commands failed")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.command_instructions")
    parser.add_argument("--commands", type=int, default=2000)
    commands = parser.parse_args().commands
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not on the PATH")
    with tempfile.TemporaryDirectory() as workdir:
        out = Path(workdir) / "callgrind.out"
        # %p: a process the service forks would otherwise write its own (empty) counts there.
        with eventstore(Path(workdir) / "store") as store:
            port = free_port()
            argv = [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={out}.%p",
                sys.executable,
                "-m",
                "write_service",
            ]
            env = {
                "WRITE_SERVICE_PORT": str(port),
                "EVENTSTORE_URI": store.address,
                # Valgrind slows the service down, not the store: give its calls time.
                "WRITE_SERVICE_STORE_TIMEOUT_SECONDS": "60",
            }
            service = processes.start(argv, env=_service_env(env))
            try:
                processes.wait_until_ready(
                    service,
                    lambda: tcp_open(port),
                    timeout=START_TIMEOUT_SECONDS,
                    what="write_service under callgrind",
                )
                asyncio.run(_count(f"{LOCALHOST}:{port}", service.pid, commands))
            finally:
                processes.stop(service, grace_seconds=START_TIMEOUT_SECONDS)
        counted = Path(f"{out}.{service.pid}").read_text()
        instructions = sum(int(found) for found in _TOTALS.findall(counted))
        if not instructions:
            raise SystemExit(f"no instructions counted in {out}.{service.pid}")
    print(f"{commands} commands: {instructions / commands:,.0f} instructions per command")


if __name__ == "__main__":
    main()
