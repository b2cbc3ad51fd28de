"""`orders dev` (what `make dev` runs): start, status lines, Ctrl-C, restart, port clashes."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from orders_cli.exit_codes import ExitCode
from tests.cli.dev_process import READY_LINE, DevPorts, DevStack, start_dev, stop_quietly

# Each test starts server processes of its own (not `make test-unit`).
pytestmark = pytest.mark.servers

PROCESSES = ("event store", "SecantusDB", "write service", "projector", "read service")


def _cli(stack: DevStack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orders_cli", *args, "--json"],
        env={
            **os.environ,
            "ORDERS_WRITE_ADDR": stack.write_addr,
            "ORDERS_READ_ADDR": stack.read_addr,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_stack_starts_in_order_and_ctrl_c_stops_every_process_keeping_the_data(
    tmp_path: Path,
) -> None:
    ports = DevPorts.pick()
    stack = start_dev(ports, tmp_path / "devdata")
    try:
        stack.wait_for_line(READY_LINE, timeout=120)
        status = [line for line in stack.lines if "✔" in line]
        assert [next(p for p in PROCESSES if p in line) for line in status] == list(PROCESSES)
        assert f"127.0.0.1:{ports.eventstore}" in status[0]
        assert f"127.0.0.1:{ports.write}" in status[2]
        pids = [int(re.search(r"pid (\d+)", line)[1]) for line in status]  # type: ignore[index]
        registered = _cli(
            stack, "register-customer", "--name", "Ada", "--email", "ada@example.com", "--wait"
        )
        assert registered.returncode == 0, registered.stderr
        assert stack.interrupt() == ExitCode.OK
    finally:
        stop_quietly(stack)
    assert [p for p in PROCESSES if not any(f"stopped {p}" in line for line in stack.lines)] == []
    assert [pid for pid in pids if _is_running(pid)] == []
    for log in ("eventstore", "secantusdb", "write_service", "projector", "read_service"):
        assert (tmp_path / "devdata" / "logs" / f"{log}.log").stat().st_size > 0

    restarted = start_dev(ports, tmp_path / "devdata")
    try:
        restarted.wait_for_line(READY_LINE, timeout=120)
        customer_id = registered.stdout.split('"customer_id": "')[1].split('"')[0]
        found = _cli(restarted, "customer", customer_id)
        assert found.returncode == 0, found.stdout + found.stderr
        assert '"name": "Ada"' in found.stdout
    finally:
        stop_quietly(restarted)


def test_a_port_in_use_is_named_with_the_variable_that_moves_it(tmp_path: Path) -> None:
    ports = DevPorts.pick()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", ports.mongo))
        squatter.listen()
        result = subprocess.run(
            [sys.executable, "-m", "orders_cli", "dev"],
            env=ports.environment(tmp_path / "devdata"),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == ExitCode.PORT_IN_USE
    assert f"port {ports.mongo}" in result.stdout
    assert "ORDERS_DEV_MONGO_PORT" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "devdata" / "logs").exists()
