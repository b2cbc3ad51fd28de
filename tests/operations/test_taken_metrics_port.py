"""A process told to serve /metrics on a port another process holds says so and exits 1, before
it serves anything, rather than running blind or dying with a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from tests.cli.dev_process import free_port

# Starts server processes in its tests' bodies (not `make test-unit`).
pytestmark = pytest.mark.servers


@pytest.mark.parametrize(
    ("module", "own_port"),
    [
        ("write_service", "WRITE_SERVICE_PORT"),
        ("read_service", "READ_SERVICE_PORT"),
        ("projector", "PROJECTOR_HEALTH_PORT"),
    ],
)
def test_a_process_whose_metrics_port_is_taken_says_so_and_exits_1(
    module: str, own_port: str
) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", module],
            env={**os.environ, "METRICS_PORT": str(taken), own_port: str(free_port())},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert result.returncode == 1, result.stderr
    assert "cannot start" in result.stderr
    assert "Address already in use" in result.stderr
    assert "Traceback" not in result.stderr
