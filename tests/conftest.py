"""Shared fixtures: the real embedded servers, each started on a free port.

The event store is `eventstore_lite` (our KurrentDB-protocol server); MongoDB's stand-in is
SecantusDB, run as its own process because it is GPL-2.0 and must never be imported.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from eventstore_lite.testing import run_eventstore


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"secantusd-py exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"secantusd-py did not listen on {port} within {timeout}s")


@pytest.fixture(scope="session")
def eventstore_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with run_eventstore(tmp_path_factory.mktemp("eventstore")) as uri:
        yield uri


@pytest.fixture
def fresh_eventstore_uri(tmp_path: Path) -> Iterator[str]:
    with run_eventstore(tmp_path / "eventstore") as uri:
        yield uri


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # `make test` runs .venv/bin/python without .venv/bin on PATH: look beside it first.
    beside = Path(sys.executable).parent / "secantusd-py"
    executable = str(beside) if beside.exists() else shutil.which("secantusd-py")
    if executable is None:
        pytest.fail("secantusd-py is not installed: run `make venv`")
    port = _free_port()
    data = tmp_path_factory.mktemp("secantus")
    process = subprocess.Popen(
        [executable, "--host", "127.0.0.1", "--port", str(port), "--storage-path", str(data)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process, timeout=30)
        yield f"mongodb://127.0.0.1:{port}/?directConnection=true"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def mongo_db_name() -> str:
    return f"test_{uuid.uuid4().hex[:12]}"
