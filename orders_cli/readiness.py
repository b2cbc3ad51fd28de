"""Probes that tell whether a process of the stack is healthy, and whether a port is free."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path
from typing import assert_never

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from orders_cli.stack_plan import GrpcServing, Readiness, StaysUp, TcpOpen
from orders_cli.stack_settings import HOST


class NotReadyError(RuntimeError):
    """The process exited or did not become healthy in time; the message says which."""


def port_is_free(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Same option the servers use, so a port in TIME_WAIT from our last run counts as free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def tcp_open(port: int, host: str = HOST) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def grpc_serving(port: int, host: str = HOST, ca_file: Path | None = None) -> bool:
    """Whether the service answers SERVING; over TLS (checked against ``ca_file``) if given."""
    address = f"{host}:{port}"
    channel = (
        grpc.insecure_channel(address)
        if ca_file is None
        else grpc.secure_channel(address, grpc.ssl_channel_credentials(ca_file.read_bytes()))
    )
    with channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=1.0)
        except grpc.RpcError:
            return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def wait_until_ready(
    process: subprocess.Popen[bytes], readiness: Readiness, timeout: float, what: str
) -> None:
    """Return once healthy; raise NotReadyError if the process exits or the timeout passes."""
    started = time.monotonic()
    deadline = started + timeout
    while True:
        code = process.poll()
        if code is not None:
            raise NotReadyError(f"{what} exited with code {code} while starting")
        if _is_ready(readiness, started):
            return
        if time.monotonic() > deadline:
            raise NotReadyError(f"{what} was not healthy within {timeout:g}s")
        time.sleep(0.1)


def _is_ready(readiness: Readiness, started: float) -> bool:
    match readiness:
        case TcpOpen(port=port):
            return tcp_open(port)
        case GrpcServing(port=port, ca_file=ca_file):
            return grpc_serving(port, ca_file=ca_file)
        case StaysUp(seconds=seconds):
            return time.monotonic() - started >= seconds
        case _:
            assert_never(readiness)
