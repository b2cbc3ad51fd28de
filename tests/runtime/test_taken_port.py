"""A service told to listen on a port another process holds says so and exits 1, rather than
sharing the port (grpc's default on Linux) or dying with a traceback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

# Each test starts server processes of its own (not `make test-unit`).
pytestmark = pytest.mark.servers


@pytest.mark.parametrize(
    ("module", "variable"),
    [("write_service", "WRITE_SERVICE_PORT"), ("read_service", "READ_SERVICE_PORT")],
)
def test_a_service_on_a_taken_port_names_the_address_and_exits_1(
    module: str, variable: str
) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", module],
            env={**os.environ, variable: str(port), "LOG_LEVEL": "INFO"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert result.returncode == 1
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    (refusal,) = [line for line in lines if line["event"] == "cannot start"]
    assert f"127.0.0.1:{port}" in refusal["reason"]
    assert "Traceback" not in result.stderr
