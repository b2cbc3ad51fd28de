"""`orders dev` with TLS and bearer tokens on, as a user runs it, on free ports: what the
security tests call, and the logs they search."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import grpc

from orders_cli.client_security import SECURITY_FOLDER
from orders_cli.dev_keys import DevSecurity
from tests.cli.dev_process import READY_LINE, DevPorts


@dataclass
class SecureStack:
    process: subprocess.Popen[str]
    ports: DevPorts
    data_dir: Path
    environment: dict[str, str]

    @property
    def security(self) -> DevSecurity:
        return DevSecurity(self.data_dir / SECURITY_FOLDER)

    @property
    def write_addr(self) -> str:
        return f"127.0.0.1:{self.ports.write}"

    @property
    def read_addr(self) -> str:
        return f"127.0.0.1:{self.ports.read}"

    @property
    def eventstore_uri(self) -> str:
        return f"kurrentdb://127.0.0.1:{self.ports.eventstore}?tls=false"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    def channel(self, address: str) -> grpc.aio.Channel:
        """A TLS channel trusting the stack's CA, without a token: tests send their own."""
        root = self.security.ca_cert.read_bytes()
        return grpc.aio.secure_channel(address, grpc.ssl_channel_credentials(root))


def start_secure_stack(data_dir: Path, timeout: float) -> SecureStack:
    ports = DevPorts.pick()
    environment = {
        **ports.environment(data_dir),
        # The test session turns authentication off for every other stack (tests/conftest.py).
        "ORDERS_AUTH": "on",
        "ORDERS_DEV_DATA_DIR": str(data_dir),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "orders_cli", "dev"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    stack = SecureStack(process, ports, data_dir, environment)
    _wait_for_ready(process, timeout)
    return stack


def _wait_for_ready(process: subprocess.Popen[str], timeout: float) -> None:
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    printed: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        if line is None:
            break
        printed.append(line)
        if READY_LINE in line:
            return
    raise AssertionError("the secure stack did not start; printed:\n" + "".join(printed))


def stop(stack: SecureStack) -> None:
    if stack.process.poll() is None:
        stack.process.send_signal(signal.SIGINT)
        try:
            stack.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            stack.process.kill()
            stack.process.wait()
