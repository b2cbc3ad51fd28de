"""Starting the systems under test as their own processes, each on a free port."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from orders_runtime import processes
from orders_runtime.ports import LOCALHOST, free_port
from orders_runtime.probes import tcp_open

START_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Running:
    process: subprocess.Popen[bytes]
    address: str

    @property
    def pid(self) -> int:
        return self.process.pid


@contextlib.contextmanager
def running(argv: Sequence[str], env: dict[str, str] | None = None) -> Iterator[Running]:
    """Run one of our servers, whose first stdout line is its address."""
    process = processes.start(argv, env=env, pipe_stdout=True)
    try:
        address = processes.first_line(process, timeout=START_TIMEOUT_SECONDS, what=argv[-1])
        # Keep draining, so a chatty server never blocks on a full pipe mid-benchmark.
        assert process.stdout is not None
        threading.Thread(target=process.stdout.read, daemon=True).start()
        yield Running(process, address)
    finally:
        processes.stop(process)


@contextlib.contextmanager
def serving_on(
    argv: Sequence[str], port: int, env: dict[str, str] | None = None
) -> Iterator[Running]:
    """Run a server told its port, ready once the port accepts connections."""
    process = processes.start(argv, env=env)
    try:
        processes.wait_until_ready(
            process, lambda: tcp_open(port), timeout=START_TIMEOUT_SECONDS, what=argv[-1]
        )
        yield Running(process, f"{LOCALHOST}:{port}")
    finally:
        processes.stop(process)


@contextlib.contextmanager
def echo_server() -> Iterator[Running]:
    with running([sys.executable, "-m", "bench.echo", "--port", "0"]) as server:
        yield server


@contextlib.contextmanager
def eventstore(data: Path) -> Iterator[Running]:
    argv = [sys.executable, "-m", "eventstore_lite", "--port", "0", "--data", str(data)]
    with running(argv) as server:
        yield server


@contextlib.contextmanager
def secantus(data: Path) -> Iterator[Running]:
    executable = processes.find_executable("secantusd-py") or "secantusd-py"
    port = free_port()
    address = ["--host", LOCALHOST, "--port", str(port)]
    # Measured as we run it: durable commits (a kill -9 loses nothing it acknowledged).
    argv = [executable, *address, "--storage-path", str(data), "--sync-on-commit"]
    with serving_on(argv, port) as server:
        yield Running(server.process, f"mongodb://{LOCALHOST}:{port}/?directConnection=true")


def _service_env(variables: dict[str, str]) -> dict[str, str]:
    # Quiet services: a log line per call would measure the logger, not the service. Without
    # bearer tokens: the bench measures the services, not token verification.
    return {**os.environ, "LOG_LEVEL": "WARNING", "ORDERS_AUTH": "off", **variables}


@contextlib.contextmanager
def write_service(eventstore_uri: str, append_mode: str | None = None) -> Iterator[Running]:
    """`append_mode` sets WRITE_SERVICE_APPEND_MODE (else the service's default)."""
    port = free_port()
    variables = {"WRITE_SERVICE_PORT": str(port), "EVENTSTORE_URI": eventstore_uri}
    if append_mode is not None:
        variables["WRITE_SERVICE_APPEND_MODE"] = append_mode
    with serving_on(
        [sys.executable, "-m", "write_service"], port, _service_env(variables)
    ) as server:
        yield server


@contextlib.contextmanager
def read_service(mongo_uri: str, database: str, *, cache: bool = True) -> Iterator[Running]:
    """`cache=False` turns the answer cache off (READ_CACHE_MAX_ENTRIES=0)."""
    port = free_port()
    variables = {"READ_SERVICE_PORT": str(port), "MONGO_URI": mongo_uri, "MONGO_DATABASE": database}
    if not cache:
        variables["READ_CACHE_MAX_ENTRIES"] = "0"
    with serving_on(
        [sys.executable, "-m", "read_service"], port, _service_env(variables)
    ) as server:
        yield server


def projector_env(eventstore_uri: str, mongo_uri: str, database: str) -> dict[str, str]:
    return _service_env(
        {"EVENTSTORE_URI": eventstore_uri, "MONGO_URI": mongo_uri, "MONGO_DATABASE": database}
    )


@contextlib.contextmanager
def projector(eventstore_uri: str, mongo_uri: str, database: str) -> Iterator[Running]:
    """The live projector (persistent subscription); it serves no port, so no address."""
    env = projector_env(eventstore_uri, mongo_uri, database)
    process = processes.start([sys.executable, "-m", "projector", "run"], env=env)
    try:
        yield Running(process, "")
    finally:
        processes.stop(process)


def rebuild_read_models(eventstore_uri: str, mongo_uri: str, database: str) -> None:
    """`python -m projector rebuild`, as an operator runs it, to fill the read models."""
    env = projector_env(eventstore_uri, mongo_uri, database)
    subprocess.run(
        [sys.executable, "-m", "projector", "rebuild"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
