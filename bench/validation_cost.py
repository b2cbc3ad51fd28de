"""What protovalidate costs the write service, per command, next to the command's own CPU.

`python -m bench.validation_cost`: the write service and the event store run as in the commands
bench (closed loop of order lifecycles); their CPU per command is the baseline. In this process,
protovalidate alone (the buf.validate annotations of protos/) and the service's whole gate
(write_service.contract_gate: protovalidate, then its violations mapped to our paths and
sentences, plus the idempotency key's own check) each validate the same lifecycle's requests.
The command CPU is measured with that gate in the server. Prints numbers, asserts nothing;
issue 15 keeps protovalidate on the server only while it costs at most 10% of a command's CPU.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, Final

import grpc
import protovalidate

from bench.harness import CpuMeter, closed_loop
from bench.order_lifecycles import _LINES, TOTAL_MINOR, Lifecycles, register_customers
from bench.processes import eventstore, write_service
from orders.v1 import command_service_pb2 as pb
from orders.v1 import command_service_pb2_grpc as pb_grpc
from orders.v1 import types_pb2
from write_service import validation
from write_service.contract_gate import ContractGate

CONCURRENCY: Final = 16
SECONDS: Final = 8.0
CALLS: Final = 2000
ROUNDS: Final = 5

# One lifecycle's requests (place, pay, ship, deliver), as the commands bench sends them.
_REQUESTS: Final[list[Any]] = [
    pb.PlaceOrderRequest(idempotency_key="k-1", order_id="o-1", customer_id="c-1", lines=_LINES),
    pb.ProcessPaymentRequest(
        idempotency_key="k-2",
        order_id="o-1",
        amount=types_pb2.Money(currency_code="EUR", amount_minor=TOTAL_MINOR),
        payment_id="pay-o-1",
        method="card",
    ),
    pb.ShipOrderRequest(
        idempotency_key="k-3", order_id="o-1", carrier="DHL", tracking_number="TRK-o-1"
    ),
    pb.DeliverOrderRequest(idempotency_key="k-4", order_id="o-1"),
]


def _cpu_us_per_call(check: Callable[[], object]) -> float:
    rounds = []
    for _ in range(ROUNDS):
        started = time.process_time()
        for _ in range(CALLS):
            check()
        rounds.append((time.process_time() - started) / CALLS * 1e6)
    return statistics.median(rounds)


def _gated(request: Any, gate: ContractGate) -> Callable[[], object]:
    def check() -> object:
        validation.idempotency_key(request.idempotency_key, None)
        return gate.violations(request)

    return check


async def _command_cpu_ms(workdir: Path) -> tuple[float, float]:
    """CPU ms per command: of the write service alone, and of it plus the event store."""
    with eventstore(workdir) as store, write_service(store.address) as service:
        async with grpc.aio.insecure_channel(service.address) as channel:
            stub = pb_grpc.CommandServiceStub(channel)
            lifecycles = Lifecycles(stub, await register_customers(stub, 20))
            await closed_loop(lifecycles.step, CONCURRENCY, 1.0)
            service_meter, both_meter = CpuMeter([service.pid]), CpuMeter([service.pid, store.pid])
            service_meter.start()
            both_meter.start()
            load = await closed_loop(lifecycles.step, CONCURRENCY, SECONDS)
            service_cpu, both_cpu = service_meter.stop(), both_meter.stop()
    if lifecycles.errors:
        print(f"warning: {lifecycles.errors} commands failed")
    return 1000 * service_cpu / load.operations, 1000 * both_cpu / load.operations


def main() -> None:
    validator = protovalidate.Validator()
    gate = ContractGate()
    print("CPU per request, in this process (median of 5 rounds of 2000 calls):")
    costs = []
    for request in _REQUESTS:
        assert validator.collect_violations(request) == [], type(request).__name__
        library = _cpu_us_per_call(partial(validator.collect_violations, request))
        gated = _cpu_us_per_call(_gated(request, gate))
        costs.append(gated)
        name = type(request).__name__.removesuffix("Request")
        print(f"  {name:<15} protovalidate {library:7.1f} us   whole gate {gated:6.1f} us")
    with tempfile.TemporaryDirectory(prefix="bench-validation-") as workdir:
        service_ms, both_ms = asyncio.run(_command_cpu_ms(Path(workdir)))
    mean_us = statistics.mean(costs)
    print(f"command CPU: write service {service_ms:.3f} ms, with the event store {both_ms:.3f} ms")
    print(
        f"the gate, mean over the lifecycle: {mean_us:.1f} us = "
        f"{100 * mean_us / (1000 * service_ms):.1f}% of the write service's CPU per command, "
        f"{100 * mean_us / (1000 * both_ms):.1f}% of the system's; "
        f"PlaceOrder alone {100 * costs[0] / (1000 * service_ms):.1f}% of the write service's"
    )


if __name__ == "__main__":
    main()
