"""The Grafana dashboard of docker-compose.yml asks only for metrics the services export: every
name in its queries is one Prometheus has scraped from the stack after the workload."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.operations.prometheus_server import Prometheus

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy/grafana/dashboards/orders.json"
# Metric names: ours and the process collector's. PromQL functions and labels never start so.
METRIC_NAME = re.compile(r"\b(?:orders|process|python)_[a-z0-9_]+\b")


def _queries() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_the_dashboard_queries_something_in_every_panel() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["panels"]
    assert all(panel["targets"] for panel in dashboard["panels"])
    assert len({m for q in _queries() for m in METRIC_NAME.findall(q)}) >= 15


def test_every_metric_the_dashboard_asks_for_is_exported(
    prometheus: Prometheus, workload_done: None
) -> None:
    wanted = {name for query in _queries() for name in METRIC_NAME.findall(query)}
    missing: list[str] = []

    def all_exported() -> bool:
        # A scrape that times out on a busy machine is retried a second later: wait for it.
        missing[:] = sorted(wanted - prometheus.metric_names())
        return not missing

    prometheus.wait_until(
        lambda: f"the dashboard's metrics, still missing: {missing}", all_exported
    )


def test_every_query_of_the_dashboard_is_valid_promql(
    prometheus: Prometheus, workload_done: None
) -> None:
    for query in _queries():
        prometheus.query(query)
