"""One stack with every process's /metrics, the Prometheus scraping it, and a known workload
run once through it, for each module of this folder that reads metrics. Per module, not per
session: idle, the five processes and Prometheus scraping them each second take about 7% of a
core, which went on until the session ended, long after the two modules were done."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest

from tests.operations.observed_stack import ObservedStack, observed_stack
from tests.operations.prometheus_server import Prometheus, prometheus_binary, run_prometheus
from tests.operations.workload import Clients, pay, place, read_waiting, register

# The workload's events: one customer, four orders placed, two of them paid.
ORDERS, PAID = 4, 2
EVENTS = 1 + ORDERS + PAID


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ObservedStack]:
    with observed_stack(tmp_path_factory.mktemp("observed")) as running:
        yield running


@pytest.fixture(scope="module")
def prometheus(
    stack: ObservedStack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Prometheus]:
    binary = prometheus_binary()
    if binary is None:
        pytest.skip("the prometheus binary is not installed (apt-get install prometheus)")
    with run_prometheus(binary, tmp_path_factory.mktemp("prometheus"), stack.metrics_ports) as p:
        yield p


@pytest.fixture(scope="module")
def workload_done(stack: ObservedStack) -> None:
    with (
        grpc.insecure_channel(stack.write_address) as write,
        grpc.insecure_channel(stack.read_address) as read,
    ):
        clients = Clients.on(write, read)
        customer = register(clients)
        placed = [place(clients, customer) for _ in range(ORDERS)]
        paid = [pay(clients, order) for order in placed[:PAID]]
        with pytest.raises(grpc.RpcError) as twice:
            pay(clients, placed[0])
        assert twice.value.code() is grpc.StatusCode.FAILED_PRECONDITION
        with pytest.raises(grpc.RpcError) as invalid:
            place(clients, customer, quantity=0)
        assert invalid.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        read_waiting(clients, paid[-1].order_id, paid[-1].consistency_token)
