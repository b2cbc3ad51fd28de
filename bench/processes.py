"""Starting the systems under test as their own processes, each on a free port."""

from __future__ import annotations

import contextlib
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
    argv = [executable, "--host", "127.0.0.1", "--port", str(port), "--storage-path", str(data)]
    with running(argv, first_line_is_address=False) as server:
        wait_for_port(port)
        yield Running(server.process, f"mongodb://127.0.0.1:{port}/?directConnection=true")
