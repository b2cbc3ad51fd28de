"""Channels and stubs to the two services, from flags or environment variables."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final

from orders.v1 import command_service_pb2_grpc, query_service_pb2_grpc
from orders_cli.client_security import client_security

WRITE_ADDR_VAR: Final = "ORDERS_WRITE_ADDR"
READ_ADDR_VAR: Final = "ORDERS_READ_ADDR"
DEFAULT_WRITE_ADDR: Final = "127.0.0.1:50051"
DEFAULT_READ_ADDR: Final = "127.0.0.1:50052"


def default_write_addr() -> str:
    return os.environ.get(WRITE_ADDR_VAR) or DEFAULT_WRITE_ADDR


def default_read_addr() -> str:
    return os.environ.get(READ_ADDR_VAR) or DEFAULT_READ_ADDR


@dataclass(frozen=True, slots=True)
class Stubs:
    commands: command_service_pb2_grpc.CommandServiceStub
    queries: query_service_pb2_grpc.QueryServiceStub
    # Seconds each call may take, waits for a consistency token included.
    timeout: float


@contextmanager
def open_stubs(write_addr: str, read_addr: str, timeout: float) -> Iterator[Stubs]:
    security = client_security(os.environ)
    with security.channel(write_addr) as write, security.channel(read_addr) as read:
        yield Stubs(
            commands=command_service_pb2_grpc.CommandServiceStub(write),
            queries=query_service_pb2_grpc.QueryServiceStub(read),
            timeout=timeout,
        )
