"""Starting the systems under test as their own processes, each on a free port."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Running:
    process: subprocess.Popen[str]
    address: str

    @property
    def pid(self) -> int:
        return self.process.pid


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port} after {timeout}s")


@contextlib.contextmanager
def running(
    argv: Sequence[str], env: dict[str, str] | None = None, first_line_is_address: bool = True
) -> Iterator[Running]:
    """Run a command; its first stdout line is its address (as our servers print it)."""
    stdout = subprocess.PIPE if first_line_is_address else subprocess.DEVNULL
    process = subprocess.Popen(
        list(argv), stdout=stdout, stderr=subprocess.DEVNULL, text=True, env=env
    )
    try:
        address = ""
        if process.stdout is not None:
            address = process.stdout.readline().strip()
            # Keep draining, so a chatty server never blocks on a full pipe mid-benchmark.
            threading.Thread(target=process.stdout.read, daemon=True).start()
        if first_line_is_address and not address:
            raise RuntimeError(f"{argv[0]} exited before printing its address")
        yield Running(process, address)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


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
    executable = shutil.which("secantusd-py") or str(Path(sys.executable).parent / "secantusd-py")
    port = free_port()
    address = ["--host", "127.0.0.1", "--port", str(port)]
    # Measured as we run it: durable commits (a kill -9 loses nothing it acknowledged).
    argv = [executable, *address, "--storage-path", str(data), "--sync-on-commit"]
    with running(argv, first_line_is_address=False) as server:
        wait_for_port(port)
        yield Running(server.process, f"mongodb://127.0.0.1:{port}/?directConnection=true")


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
    env = _service_env(variables)
    with running([sys.executable, "-m", "write_service"], env, False) as server:
        wait_for_port(port)
        yield Running(server.process, f"127.0.0.1:{port}")


@contextlib.contextmanager
def read_service(mongo_uri: str, database: str, *, cache: bool = True) -> Iterator[Running]:
    """`cache=False` turns the answer cache off (READ_CACHE_MAX_ENTRIES=0)."""
    port = free_port()
    variables = {"READ_SERVICE_PORT": str(port), "MONGO_URI": mongo_uri, "MONGO_DATABASE": database}
    if not cache:
        variables["READ_CACHE_MAX_ENTRIES"] = "0"
    env = _service_env(variables)
    with running([sys.executable, "-m", "read_service"], env, False) as server:
        wait_for_port(port)
        yield Running(server.process, f"127.0.0.1:{port}")


def projector_env(eventstore_uri: str, mongo_uri: str, database: str) -> dict[str, str]:
    return _service_env(
        {"EVENTSTORE_URI": eventstore_uri, "MONGO_URI": mongo_uri, "MONGO_DATABASE": database}
    )


@contextlib.contextmanager
def projector(eventstore_uri: str, mongo_uri: str, database: str) -> Iterator[Running]:
    """The live projector (persistent subscription); it serves no port, so no address."""
    env = projector_env(eventstore_uri, mongo_uri, database)
    with running([sys.executable, "-m", "projector", "run"], env, False) as process:
        yield process


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
