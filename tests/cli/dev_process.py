"""`orders dev` run as a user runs it, on free ports, with its status lines collected."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from orders_runtime.ports import free_port, free_ports

__all__ = ["READY_LINE", "DevPorts", "DevStack", "free_port", "start_dev", "stop_quietly"]

READY_LINE = "stack is up"
METRICS_PORT_VARIABLES = (
    "ORDERS_DEV_WRITE_METRICS_PORT",
    "ORDERS_DEV_READ_METRICS_PORT",
    "ORDERS_DEV_PROJECTOR_METRICS_PORT",
    "ORDERS_DEV_EVENTSTORE_METRICS_PORT",
)


@dataclass(frozen=True, slots=True)
class DevPorts:
    eventstore: int
    mongo: int
    write: int
    read: int
    projector_health: int

    @classmethod
    def pick(cls) -> DevPorts:
        return cls(*free_ports(5))

    def environment(self, data_dir: Path) -> dict[str, str]:
        return {
            **os.environ,
            "ORDERS_DEV_DATA_DIR": str(data_dir),
            "ORDERS_DEV_EVENTSTORE_PORT": str(self.eventstore),
            "ORDERS_DEV_MONGO_PORT": str(self.mongo),
            "WRITE_SERVICE_PORT": str(self.write),
            "READ_SERVICE_PORT": str(self.read),
            "PROJECTOR_HEALTH_PORT": str(self.projector_health),
            # Off: the dev defaults (9101-9104) may be taken by a developer's own stack.
            **dict.fromkeys(METRICS_PORT_VARIABLES, "0"),
            # A busy CI machine can lag the projection past the 5 s default of a --wait.
            "READ_CONSISTENCY_MAX_WAIT_SECONDS": "30",
        }


@dataclass
class DevStack:
    process: subprocess.Popen[str]
    ports: DevPorts
    lines: list[str] = field(default_factory=list)
    _queue: queue.Queue[str | None] = field(default_factory=queue.Queue)

    @property
    def write_addr(self) -> str:
        return f"127.0.0.1:{self.ports.write}"

    @property
    def read_addr(self) -> str:
        return f"127.0.0.1:{self.ports.read}"

    def wait_for_line(self, text: str, timeout: float) -> str:
        """The first line containing text; fails with everything printed so far."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            if line is None:
                break
            self.lines.append(line)
            if text in line:
                return line
        raise AssertionError(f"no line with {text!r}; printed:\n" + "\n".join(self.lines))

    def interrupt(self, timeout: float = 60) -> int:
        """Ctrl-C, as a terminal sends it; the exit code once everything is stopped."""
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=timeout)
        self._drain()
        return code

    def _drain(self) -> None:
        while True:
            try:
                line = self._queue.get(timeout=1)
            except queue.Empty:
                return
            if line is None:
                return
            self.lines.append(line)


def start_dev(ports: DevPorts, data_dir: Path) -> DevStack:
    process = subprocess.Popen(
        [sys.executable, "-m", "orders_cli", "dev"],
        env=ports.environment(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    stack = DevStack(process, ports)
    threading.Thread(target=_pump, args=(process, stack._queue), daemon=True).start()
    return stack


def _pump(process: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.put(line.rstrip("\n"))
    lines.put(None)


def stop_quietly(stack: DevStack) -> None:
    if stack.process.poll() is None:
        stack.process.send_signal(signal.SIGINT)
        try:
            stack.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            stack.process.kill()
