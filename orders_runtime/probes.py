"""Readiness probes of a server: is its port open, does its gRPC health service say SERVING."""

from __future__ import annotations

import socket
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

LOCALHOST = "127.0.0.1"


def tcp_open(port: int, host: str = LOCALHOST) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def grpc_serving(
    port: int, host: str = LOCALHOST, service: str = "", *, ca_file: Path | None = None
) -> bool:
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
            reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=1.0)
        except grpc.RpcError:
            return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)
