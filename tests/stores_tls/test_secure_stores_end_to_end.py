"""The services against stores that want TLS and passwords, as in production: an order placed
through the write service is projected and read back; a wrong password stops a process with
one clear line; no log line of any process holds a password."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from orders.v1 import command_service_pb2 as commands
from orders.v1 import command_service_pb2_grpc, consistency_pb2, query_service_pb2_grpc, types_pb2
from orders.v1 import query_service_pb2 as queries
from tests.certificate_authority import create_authority
from tests.process_output import LogLine, ProcessOutput
from tests.stores_tls.conftest import (
    EVENTSTORE_PASSWORD,
    EVENTSTORE_USER,
    MONGO_PASSWORD,
    MONGO_USER,
    SecureStores,
)

START_SECONDS = 120.0


class Processes:
    def __init__(self) -> None:
        self.started: list[tuple[subprocess.Popen[bytes], ProcessOutput]] = []

    def start(self, module: str, environment: dict[str, str]) -> ProcessOutput:
        process = subprocess.Popen(
            [sys.executable, "-m", module],
            env={**os.environ, "LOG_LEVEL": "DEBUG", "ORDERS_AUTH": "off", **environment},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        logs = ProcessOutput(process)
        self.started.append((process, logs))
        return logs

    def stop_all(self) -> str:
        """Everything every process wrote to stderr, once each has stopped."""
        for process, _ in self.started:
            if process.poll() is None:
                process.terminate()
        for _, logs in self.started:
            logs.wait_for_exit(60)
        return "".join(logs.text for _, logs in self.started)


@pytest.fixture
def processes() -> Iterator[Processes]:
    running = Processes()
    yield running
    for process, _ in running.started:
        if process.poll() is None:
            process.kill()
            process.wait()


def _eventstore(stores: SecureStores, password: str) -> dict[str, str]:
    return {
        "EVENTSTORE_URI": stores.eventstore_uri,
        "EVENTSTORE_USERNAME": EVENTSTORE_USER,
        "EVENTSTORE_PASSWORD_FILE": str(stores.secret_file("eventstore_password", password)),
    }


def _mongo(stores: SecureStores, password: str, database: str) -> dict[str, str]:
    return {
        "MONGO_URI": stores.mongo_uri,
        "MONGO_DATABASE": database,
        "MONGO_USERNAME": MONGO_USER,
        "MONGO_PASSWORD_FILE": str(stores.secret_file("mongo_password", password)),
    }


def _port(logs: ProcessOutput, event: str) -> int:
    line = logs.wait_for(lambda line: line["event"] == event, patience=START_SECONDS)
    return int(line["port"])


async def test_an_order_placed_over_secure_stores_is_projected_and_no_log_holds_a_password(
    secure_stores: SecureStores, processes: Processes
) -> None:
    database = f"secure_{uuid.uuid4().hex[:8]}"
    eventstore = _eventstore(secure_stores, EVENTSTORE_PASSWORD)
    mongo = _mongo(secure_stores, MONGO_PASSWORD, database)
    write_logs = processes.start("write_service", {**eventstore, "WRITE_SERVICE_PORT": "0"})
    processes.start("projector", {**eventstore, **mongo})
    read_logs = processes.start("read_service", {**mongo, "READ_SERVICE_PORT": "0"})
    write_port = _port(write_logs, "started")
    read_port = _port(read_logs, "read service listening")

    customer, order = f"c-{uuid.uuid4().hex[:8]}", f"o-{uuid.uuid4().hex[:8]}"
    async with grpc.aio.insecure_channel(f"127.0.0.1:{write_port}") as channel:
        command = command_service_pb2_grpc.CommandServiceStub(channel)
        await command.RegisterCustomer(
            commands.RegisterCustomerRequest(
                idempotency_key=uuid.uuid4().hex,
                customer_id=customer,
                name="Grace Hopper",
                email="grace@example.com",
            ),
            timeout=60,
        )
        placed = await command.PlaceOrder(
            commands.PlaceOrderRequest(
                idempotency_key=uuid.uuid4().hex,
                order_id=order,
                customer_id=customer,
                lines=[
                    types_pb2.OrderLine(
                        sku="sku-1",
                        quantity=3,
                        unit_price=types_pb2.Money(currency_code="EUR", amount_minor=700),
                    )
                ],
            ),
            timeout=60,
        )
    async with grpc.aio.insecure_channel(f"127.0.0.1:{read_port}") as channel:
        query = query_service_pb2_grpc.QueryServiceStub(channel)
        # The read service waits until the projector has written the order, or says it did not.
        summary = await query.GetOrderSummary(
            queries.GetOrderSummaryRequest(
                order_id=order,
                consistency=consistency_pb2.ReadConsistency(
                    min_token=placed.consistency_token,
                    policy=consistency_pb2.STALENESS_POLICY_WAIT,
                ),
            ),
            timeout=60,
        )
    assert (summary.order.order_id, summary.order.customer_id) == (order, customer)
    assert not summary.read_metadata.stale

    everything = processes.stop_all()
    assert EVENTSTORE_PASSWORD not in everything
    assert MONGO_PASSWORD not in everything
    assert "tls=true" in everything  # the start lines name the stores, without passwords


def _refused(logs: ProcessOutput) -> LogLine:
    line = logs.wait_for(lambda line: line["event"] == "cannot start", patience=START_SECONDS)
    assert logs.wait_for_exit(START_SECONDS) == 1
    return line


@pytest.mark.parametrize("module", ["write_service", "projector"])
def test_a_wrong_event_store_password_stops_the_process_with_one_clear_line(
    secure_stores: SecureStores, processes: Processes, module: str
) -> None:
    wrong = "not-the-es-password-91"
    logs = processes.start(
        module,
        {**_eventstore(secure_stores, wrong), **_mongo(secure_stores, MONGO_PASSWORD, "orders")},
    )
    line = _refused(logs)

    assert "refused the user and password (UNAUTHENTICATED)" in line["reason"]
    assert "Traceback" not in logs.text
    assert wrong not in logs.text


@pytest.mark.parametrize("module", ["projector", "read_service"])
def test_a_wrong_mongodb_password_stops_the_process_with_one_clear_line(
    secure_stores: SecureStores, processes: Processes, module: str
) -> None:
    wrong = "not-the-mongo-password-37"
    logs = processes.start(
        module,
        {
            **_eventstore(secure_stores, EVENTSTORE_PASSWORD),
            **_mongo(secure_stores, wrong, "orders"),
            "READ_SERVICE_PORT": "0",
        },
    )
    line = _refused(logs)

    assert "MongoDB refused the user and password (AuthenticationFailed)" in line["reason"]
    assert "Traceback" not in logs.text
    assert wrong not in logs.text


def test_an_event_store_certificate_from_another_ca_stops_the_write_service_with_one_clear_line(
    secure_stores: SecureStores, processes: Processes, tmp_path: Path
) -> None:
    stranger = create_authority(tmp_path / "another-ca").ca_certificate
    ours = str(secure_stores.authority.ca_certificate)
    eventstore = _eventstore(secure_stores, EVENTSTORE_PASSWORD)
    eventstore["EVENTSTORE_URI"] = eventstore["EVENTSTORE_URI"].replace(ours, str(stranger))
    logs = processes.start("write_service", eventstore)
    line = _refused(logs)

    assert "the TLS handshake with the event store failed" in line["reason"]
    assert "Traceback" not in logs.text
