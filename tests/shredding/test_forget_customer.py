"""ForgetCustomer on the running stack: afterwards no query, rebuild or file holds the name or
the e-mail, the logs never did, and the customer's orders still take commands."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from dataclasses import dataclass

import grpc
import pytest
from google.protobuf.message import Message

from orders.v1 import (
    command_service_pb2,
    command_service_pb2_grpc,
    consistency_pb2,
    query_service_pb2,
    query_service_pb2_grpc,
    types_pb2,
)
from orders_runtime.key_store import SqliteKeyStore
from tests.security.flows import Placed, register_and_place
from tests.security.secure_stack import SecureStack
from tests.security.tokens import bearer
from tests.shredding.file_search import files_holding
from tests.waiting import wait_until_blocking

pytestmark = pytest.mark.servers

ADMIN = ("orders:write", "orders:read", "orders:admin")


@dataclass(frozen=True)
class Person:
    name: str
    email: str

    @classmethod
    def made_up(cls) -> Person:
        marker = uuid.uuid4().hex[:10]
        return cls(f"Hedy Lamarr {marker}", f"hedy.{marker}@example.org")

    def found_in(self, data: bytes) -> list[str]:
        return [text for text in (self.name, self.email) if text.encode() in data]


def wait_for(token: consistency_pb2.ConsistencyToken) -> consistency_pb2.ReadConsistency:
    return consistency_pb2.ReadConsistency(
        min_token=token, policy=consistency_pb2.STALENESS_POLICY_WAIT
    )


async def every_answer(
    queries: query_service_pb2_grpc.QueryServiceAsyncStub,
    token: str,
    placed: Placed,
    consistency: consistency_pb2.ReadConsistency,
) -> bytes:
    """What every query that can show the customer answers, serialized together."""
    customer = await queries.GetCustomer(
        query_service_pb2.GetCustomerRequest(
            customer_id=placed.customer_id, consistency=consistency
        ),
        metadata=bearer(token),
        timeout=60,
    )
    answers: list[Message] = [
        customer,
        await queries.GetOrderDetails(
            query_service_pb2.GetOrderDetailsRequest(order_id=placed.order_id),
            metadata=bearer(token),
            timeout=60,
        ),
        await queries.GetOrderSummary(
            query_service_pb2.GetOrderSummaryRequest(order_id=placed.order_id),
            metadata=bearer(token),
            timeout=60,
        ),
        await queries.ListCustomerOrders(
            query_service_pb2.ListCustomerOrdersRequest(customer_id=placed.customer_id),
            metadata=bearer(token),
            timeout=60,
        ),
        await queries.ListOrders(
            query_service_pb2.ListOrdersRequest(page_size=100), metadata=bearer(token), timeout=60
        ),
        await queries.GetOrderStats(
            query_service_pb2.GetOrderStatsRequest(customer_id=placed.customer_id),
            metadata=bearer(token),
            timeout=60,
        ),
    ]
    return b"".join(answer.SerializeToString() for answer in answers)


async def pay(
    commands: command_service_pb2_grpc.CommandServiceAsyncStub, token: str, placed: Placed
) -> None:
    await commands.ProcessPayment(
        command_service_pb2.ProcessPaymentRequest(
            idempotency_key=uuid.uuid4().hex,
            order_id=placed.order_id,
            payment_id=f"p-{uuid.uuid4().hex[:12]}",
            amount=types_pb2.Money(currency_code="EUR", amount_minor=2500),
            method="card",
        ),
        metadata=bearer(token),
        timeout=30,
    )


def run_projector(stack: SecureStack, *command: str) -> str:
    finished = subprocess.run(
        [sys.executable, "-m", "projector", *command],
        env={
            **stack.environment,
            "EVENTSTORE_URI": stack.eventstore_uri,
            "MONGO_URI": f"mongodb://127.0.0.1:{stack.ports.mongo}/?directConnection=true",
            "MONGO_DATABASE": "orders",
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert finished.returncode == 0, finished.stderr
    return finished.stdout + finished.stderr


@pytest.mark.timeout(900)
async def test_a_forgotten_customer_is_in_no_answer_no_rebuild_no_data_file_and_no_log(
    shredding_stack: SecureStack,
) -> None:
    stack, person = shredding_stack, Person.made_up()
    token = stack.security.token(ADMIN)
    data = stack.data_dir
    async with (
        stack.channel(stack.write_addr) as write,
        stack.channel(stack.read_addr) as read,
    ):
        commands = command_service_pb2_grpc.CommandServiceStub(write)
        queries = query_service_pb2_grpc.QueryServiceStub(read)
        placed = await register_and_place(commands, token, name=person.name, email=person.email)
        await pay(commands, token, placed)

        # Before: the queries show the customer (so the searches below can fail) ...
        before = await every_answer(queries, token, placed, placed.consistency())
        assert person.found_in(before) == [person.name, person.email]
        # ... the data files hold the customer (so searching them finds what is there) ...
        for store in ("eventstore", "mongo"):
            wait_until_blocking(
                lambda store=store: bool(files_holding(data / store, placed.customer_id)),  # type: ignore[misc]
                f"customer {placed.customer_id} in the {store} files",
            )
        keys = SqliteKeyStore(data / "keys" / "customer_keys.sqlite3")
        key = keys.key_for(placed.customer_id)
        keys.close()
        assert key is not None
        assert files_holding(data / "keys", key) != []
        # ... but never the clear text: the events and read models hold it sealed.
        for text in (person.name, person.email):
            assert files_holding(data / "eventstore", text) == []
            assert files_holding(data / "mongo", text) == []

        forgotten = await commands.ForgetCustomer(
            command_service_pb2.ForgetCustomerRequest(
                idempotency_key=uuid.uuid4().hex, customer_id=placed.customer_id
            ),
            metadata=bearer(token),
            timeout=30,
        )
        after = await every_answer(queries, token, placed, wait_for(forgotten.consistency_token))
        assert person.found_in(after) == []
        assert placed.customer_id.encode() in after

        # The customer's order still takes commands, and still shows no personal data.
        shipped = await commands.ShipOrder(
            command_service_pb2.ShipOrderRequest(
                idempotency_key=uuid.uuid4().hex,
                order_id=placed.order_id,
                carrier="DHL",
                tracking_number="JD0001",
            ),
            metadata=bearer(token),
            timeout=30,
        )
        details = await queries.GetOrderDetails(
            query_service_pb2.GetOrderDetailsRequest(
                order_id=placed.order_id, consistency=wait_for(shipped.consistency_token)
            ),
            metadata=bearer(token),
            timeout=60,
        )
        assert details.order.summary.status == types_pb2.ORDER_STATUS_SHIPPED
        assert details.order.customer.customer_id == placed.customer_id
        assert (details.order.customer.name, details.order.customer.email) == ("", "")

        # A rebuild from the events, and a verification of the read models against them.
        rebuilt = await asyncio.to_thread(run_projector, stack, "rebuild")
        await asyncio.to_thread(run_projector, stack, "verify")
        after_rebuild = await every_answer(queries, token, placed, placed.consistency())
        assert person.found_in(after_rebuild) == []
        assert person.found_in(rebuilt.encode()) == []

    # No file of any store holds the name, the e-mail or the deleted key.
    for secret in (person.name.encode(), person.email.encode(), key):
        assert files_holding(data, secret) == [], f"{secret!r} is still in a data file"
    # And no log line ever held them.
    for log in sorted(stack.log_dir.glob("*.log")):
        assert person.found_in(log.read_bytes()) == [], log.name


async def test_forgetting_needs_the_admin_scope(shredding_stack: SecureStack) -> None:
    stack = shredding_stack
    writer = stack.security.token(["orders:write", "orders:read"])
    async with stack.channel(stack.write_addr) as write:
        commands = command_service_pb2_grpc.CommandServiceStub(write)
        placed = await register_and_place(commands, writer, name="Alan Turing")
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await commands.ForgetCustomer(
                command_service_pb2.ForgetCustomerRequest(customer_id=placed.customer_id),
                metadata=bearer(writer),
                timeout=30,
            )
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_forgetting_a_customer_nobody_registered_is_not_found(
    shredding_stack: SecureStack,
) -> None:
    stack = shredding_stack
    async with stack.channel(stack.write_addr) as write:
        commands = command_service_pb2_grpc.CommandServiceStub(write)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await commands.ForgetCustomer(
                command_service_pb2.ForgetCustomerRequest(customer_id=f"c-{uuid.uuid4().hex}"),
                metadata=bearer(stack.security.token(ADMIN)),
                timeout=30,
            )
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND


async def test_the_cli_forgets_a_customer_and_waits_until_the_read_side_shows_it(
    shredding_stack: SecureStack,
) -> None:
    stack, person = shredding_stack, Person.made_up()
    async with stack.channel(stack.write_addr) as write:
        commands = command_service_pb2_grpc.CommandServiceStub(write)
        placed = await register_and_place(
            commands, stack.security.token(ADMIN), name=person.name, email=person.email
        )
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "orders_cli", "forget", placed.customer_id, "--wait", "--json"],
        env={
            **stack.environment,
            "ORDERS_WRITE_ADDR": stack.write_addr,
            "ORDERS_READ_ADDR": stack.read_addr,
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["customer_id"] == placed.customer_id
    customer = shown["read"]["customer"]
    assert (customer["customer_id"], customer["name"], customer["email"]) == (
        placed.customer_id,
        "",
        "",
    )
    assert person.found_in(done.stdout.encode()) == []
