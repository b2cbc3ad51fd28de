"""The whole pair (tests/read_service/full_stack.py) reached through the client library."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from orders_client import OrdersClient
from tests.read_service.full_stack import Stack, running_stack


@dataclass
class ClientStack:
    stack: Stack
    client: OrdersClient

    @property
    def write_addr(self) -> str:
        return f"127.0.0.1:{self.stack.write_port}"

    @property
    def read_addr(self) -> str:
        return f"127.0.0.1:{self.stack.reads.port}"


@pytest.fixture
async def client_stack(eventstore_uri: str, mongo_uri: str) -> AsyncIterator[ClientStack]:
    database = f"clients_{uuid.uuid4().hex[:8]}"
    async with running_stack(eventstore_uri, mongo_uri, database) as stack:
        write, read = f"127.0.0.1:{stack.write_port}", f"127.0.0.1:{stack.reads.port}"
        async with OrdersClient.connect(write, read) as client:
            yield ClientStack(stack, client)
