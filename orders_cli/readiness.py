"""Whether a process of the stack is healthy, told by the probe its plan names."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from typing import assert_never

from orders_cli.stack_plan import GrpcServing, Readiness, StaysUp, TcpOpen
from orders_runtime import processes
from orders_runtime.ports import port_is_free
from orders_runtime.probes import grpc_serving, tcp_open
from orders_runtime.processes import NotReadyError

__all__ = ["NotReadyError", "grpc_serving", "port_is_free", "tcp_open", "wait_until_ready"]


def wait_until_ready(
    process: subprocess.Popen[bytes], readiness: Readiness, timeout: float, what: str
) -> None:
    """Return once healthy; raise NotReadyError if the process exits or the timeout passes."""
    processes.wait_until_ready(process, probe(readiness), timeout=timeout, what=what)


def probe(readiness: Readiness) -> Callable[[], bool]:
    match readiness:
        case TcpOpen(port=port):
            return lambda: tcp_open(port)
        case GrpcServing(port=port, ca_file=ca_file):
            return lambda: grpc_serving(port, ca_file=ca_file)
        case StaysUp(seconds=seconds):
            started = time.monotonic()
            return lambda: time.monotonic() - started >= seconds
        case _:
            assert_never(readiness)
