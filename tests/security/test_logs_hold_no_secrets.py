"""A full run over TLS with tokens (the CLI's demo included), then every log line of every
process of the stack searched for the tokens, the signing key, e-mail addresses and names."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import uuid

import grpc
import pytest

from orders.v1 import command_service_pb2_grpc, query_service_pb2, query_service_pb2_grpc
from tests.security.flows import register_and_place
from tests.security.secure_stack import SecureStack
from tests.security.tokens import bearer, claims, forged

E_MAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


async def test_no_log_line_holds_a_token_a_key_an_e_mail_or_a_name(
    secure_stack: SecureStack,
) -> None:
    marker = uuid.uuid4().hex[:8]
    name, email = f"Grace Hopper{marker}", f"grace.{marker}@navy.example"
    token = secure_stack.security.token(["orders:write", "orders:read"], subject=f"svc-{marker}")
    bad_token = forged(secure_stack.security, claims())
    async with (
        secure_stack.channel(secure_stack.write_addr) as write,
        secure_stack.channel(secure_stack.read_addr) as read,
    ):
        placed = await register_and_place(
            command_service_pb2_grpc.CommandServiceStub(write), token, name=name, email=email
        )
        queries = query_service_pb2_grpc.QueryServiceStub(read)
        details = await queries.GetOrderDetails(
            query_service_pb2.GetOrderDetailsRequest(
                order_id=placed.order_id, consistency=placed.consistency()
            ),
            metadata=bearer(token),
            timeout=60,
        )
        assert details.order.customer.email == email
        with pytest.raises(grpc.aio.AioRpcError):
            await queries.GetOrderDetails(
                query_service_pb2.GetOrderDetailsRequest(order_id=placed.order_id),
                metadata=bearer(bad_token),
                timeout=30,
            )
    demo = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "orders_cli", "demo", "--customers", "3", "--orders", "6"],
        env={
            **secure_stack.environment,
            "ORDERS_WRITE_ADDR": secure_stack.write_addr,
            "ORDERS_READ_ADDR": secure_stack.read_addr,
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stderr
    key_lines = [
        line
        for line in secure_stack.security.signing_key.read_text().splitlines()
        if "PRIVATE KEY" not in line
    ]
    secrets = [token, token.rpartition(".")[2], bad_token, *key_lines, name, marker + "@"]
    logs = sorted(secure_stack.log_dir.glob("*.log"))
    assert {log.name for log in logs} >= {"write_service.log", "read_service.log"}
    for log in logs:
        text = log.read_text(errors="replace")
        found = [secret for secret in secrets if secret in text]
        assert not found, f"{log.name} holds {len(found)} secret(s)"
        assert E_MAIL.findall(text) == [], f"{log.name} holds e-mail addresses"
    # The run did log: an empty log would pass the search above for nothing.
    assert f"svc-{marker}" not in "".join(log.read_text() for log in logs)
    assert "rpc finished" in (secure_stack.log_dir / "write_service.log").read_text()
