"""Every process's /metrics scraped by the real Prometheus after a known workload: the counts
and the lag, queried through Prometheus' HTTP API as a dashboard would."""

from __future__ import annotations

from projector.progress import READ_MODELS
from tests.operations.conftest import EVENTS, ORDERS, PAID
from tests.operations.observed_stack import ObservedStack
from tests.operations.prometheus_server import Prometheus


def _total(prometheus: Prometheus, expression: str) -> float | None:
    return prometheus.value(f"sum({expression})")


def test_prometheus_scrapes_every_process(prometheus: Prometheus, stack: ObservedStack) -> None:
    def all_up() -> bool:
        targets = prometheus.targets()
        return len(targets) == len(stack.metrics_ports) and all(
            t["health"] == "up" for t in targets
        )

    prometheus.wait_until("every target to be scraped", all_up)
    for job in stack.metrics_ports:
        assert prometheus.value(f'up{{job="{job}"}}') == 1.0
        resident = prometheus.value(f'process_resident_memory_bytes{{job="{job}"}}')
        assert resident is not None, job
        assert resident > 0, job


def test_calls_are_counted_by_method_and_code(prometheus: Prometheus, workload_done: None) -> None:
    def calls(method: str, code: str) -> str:
        return f'orders_rpc_calls_total{{method="{method}",code="{code}"}}'

    prometheus.expect(calls("PlaceOrder", "OK"), ORDERS)
    prometheus.expect(calls("PlaceOrder", "INVALID_ARGUMENT"), 1)
    prometheus.expect(calls("ProcessPayment", "OK"), PAID)
    prometheus.expect(calls("ProcessPayment", "FAILED_PRECONDITION"), 1)
    prometheus.expect(calls("RegisterCustomer", "OK"), 1)
    prometheus.expect(calls("GetOrderSummary", "OK"), 1)
    prometheus.expect('orders_rpc_duration_seconds_count{method="PlaceOrder"}', ORDERS + 1)


def test_commands_are_counted_by_outcome(prometheus: Prometheus, workload_done: None) -> None:
    def commands(command: str, outcome: str) -> str:
        return f'orders_commands_total{{command="{command}",outcome="{outcome}"}}'

    prometheus.expect(commands("PlaceOrder", "accepted"), ORDERS)
    prometheus.expect(commands("ProcessPayment", "accepted"), PAID)
    prometheus.expect(commands("ProcessPayment", "refused"), 1)
    prometheus.expect(commands("RegisterCustomer", "accepted"), 1)
    # The invalid order never reached the handler: it is a call refused, not a command.
    prometheus.expect('orders_commands_total{command="PlaceOrder"}', ORDERS)
    prometheus.expect("orders_append_conflicts_total", 0)


def test_every_read_model_has_applied_the_workload_and_has_no_lag(
    prometheus: Prometheus, workload_done: None
) -> None:
    def caught_up() -> bool:
        applied = prometheus.query("orders_projector_events_applied_total")
        lag = prometheus.query("orders_projector_lag_events")
        return {s.labels["read_model"]: s.value for s in applied} == dict.fromkeys(
            READ_MODELS, float(EVENTS)
        ) and {s.labels["read_model"]: s.value for s in lag} == dict.fromkeys(READ_MODELS, 0.0)

    prometheus.wait_until(f"{EVENTS} events applied and no lag in every read model", caught_up)
    prometheus.expect("orders_projector_events_parked_total", 0)
    prometheus.expect('orders_projector_lag_seconds{read_model="order_summaries"}', 0)
    prometheus.expect("orders_projector_batch_size_sum", EVENTS)
    writes = _total(
        prometheus,
        'orders_mongodb_command_duration_seconds_count{job="projector",'
        'command=~"commitTransaction|bulkWrite|update|insert"}',
    )
    assert writes is not None
    assert writes > 0


def test_the_waiting_query_is_counted(prometheus: Prometheus, workload_done: None) -> None:
    prometheus.expect('orders_read_consistency_waits_total{outcome="reached"}', 1)
    prometheus.expect("orders_read_consistency_wait_seconds_count", 1)
    prometheus.expect('orders_read_waiting_queries{job="read_service"}', 0)
    for name in ("hits", "misses"):
        assert prometheus.query(f"orders_read_cache_{name}_total"), name


def test_a_process_exports_nothing_for_another(prometheus: Prometheus, workload_done: None) -> None:
    prometheus.expect('orders_rpc_calls_total{method="GetOrderSummary"}', 1)
    jobs = {sample.labels["job"] for sample in prometheus.query("orders_rpc_calls_total")}
    assert jobs == {"write_service", "read_service"}
    lagging = {s.labels["job"] for s in prometheus.query("orders_projector_lag_events")}
    assert lagging == {"projector"}
