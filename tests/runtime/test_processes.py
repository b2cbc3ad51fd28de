"""The one launcher of child processes: started with a log, ready by a probe, stopped in order."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

from orders_runtime import processes
from orders_runtime.ports import free_port, port_is_free
from orders_runtime.probes import tcp_open
from tests.waiting import PATIENCE_SECONDS

# Each test starts child processes (not `make test-unit`).
pytestmark = pytest.mark.servers

LISTEN = """
import signal, socket, sys
# Blocked, SIGTERM stays pending until sigwait takes it, wherever it lands: a Python handler
# around a blocking accept() lost about one SIGTERM in fifteen under load, and the stop hung.
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
# Written before the port opens: the test stops the server as soon as the port is open.
print("listening", flush=True)
server = socket.create_server(("127.0.0.1", int(sys.argv[1])))
signal.sigwait({signal.SIGTERM})
sys.exit(0)
"""
IGNORE_SIGTERM = """
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ready", flush=True)
while True:
    time.sleep(1)
"""


def test_a_server_is_ready_once_its_port_is_open_logs_its_output_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    port = free_port()
    log = tmp_path / "logs" / "server.log"
    process = processes.start([sys.executable, "-c", LISTEN, str(port)], log_file=log)
    try:
        processes.wait_until_ready(process, lambda: tcp_open(port), timeout=60, what="server")
        assert not port_is_free(port)
    finally:
        # The grace is a hang guard, not a speed requirement: under load the exit can be slow,
        # and a SIGKILL after the default 10 s would read as a server that ignored SIGTERM.
        code = processes.stop(process, grace_seconds=PATIENCE_SECONDS)

    assert code == 0
    header, output = log.read_text().splitlines()
    assert header.startswith("--- started at ")
    assert output == "listening"


def test_a_process_that_ignores_sigterm_is_killed_after_the_grace_period() -> None:
    process = processes.start([sys.executable, "-c", IGNORE_SIGTERM], pipe_stdout=True)
    assert processes.first_line(process, timeout=60, what="stubborn") == "ready"

    assert processes.stop(process, grace_seconds=0.5) == -signal.SIGKILL


def test_a_process_that_exits_while_starting_is_named_with_its_code_and_log(
    tmp_path: Path,
) -> None:
    log = tmp_path / "failing.log"
    argv = [sys.executable, "-c", "print('no such store'); raise SystemExit(3)"]
    process = processes.start(argv, log_file=log)

    with pytest.raises(processes.NotReadyError) as caught:
        processes.wait_until_ready(process, lambda: False, timeout=60, what="the store")

    assert str(caught.value) == "the store exited with code 3 while starting"
    explained = processes.with_log_tail(caught.value, log)
    assert explained.endswith("  no such store")


def test_a_killed_process_is_reaped_and_its_exit_says_sigkill() -> None:
    process = processes.start([sys.executable, "-c", IGNORE_SIGTERM], pipe_stdout=True)
    processes.first_line(process, timeout=60, what="victim")

    assert processes.kill(process) == -signal.SIGKILL
    assert process.poll() == -signal.SIGKILL
