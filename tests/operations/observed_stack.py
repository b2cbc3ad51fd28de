"""The whole system as `orders dev` runs it (the same plan and launcher), on free ports, with
every process's /metrics on a free port of its own and any extra environment (tracing)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from orders_cli.readiness import wait_until_ready
from orders_cli.stack_plan import plan_stack
from orders_cli.stack_settings import StackSettings
from orders_cli.supervisor import Running, launch, stop_all
from orders_runtime.ports import free_ports

START_TIMEOUT_SECONDS = 120.0
# The process keys of the plan whose /metrics Prometheus scrapes, by the job name it gives them.
SCRAPED = {
    "eventstore": "eventstore",
    "write_service": "write_service",
    "projector": "projector",
    "read_service": "read_service",
}


@dataclass(frozen=True, slots=True)
class ObservedStack:
    settings: StackSettings
    running: tuple[Running, ...]

    @property
    def write_address(self) -> str:
        return f"127.0.0.1:{self.settings.write_port}"

    @property
    def read_address(self) -> str:
        return f"127.0.0.1:{self.settings.read_port}"

    @property
    def metrics_ports(self) -> dict[str, int]:
        """The /metrics port of each scraped process, by job name."""
        return {
            "eventstore": self.settings.eventstore_metrics_port,
            "write_service": self.settings.write_metrics_port,
            "projector": self.settings.projector_metrics_port,
            "read_service": self.settings.read_metrics_port,
        }

    def log(self, key: str) -> str:
        for item in self.running:
            if item.spec.key == key:
                return item.spec.log_file.read_text(errors="replace")
        raise KeyError(key)


@contextmanager
def observed_stack(data_dir: Path, extra_env: Mapping[str, str] = {}) -> Iterator[ObservedStack]:
    secantusd = shutil.which("secantusd-py") or str(Path(sys.executable).parent / "secantusd-py")
    ports = free_ports(9)
    settings = StackSettings(
        data_dir=data_dir,
        eventstore_port=ports[0],
        mongo_port=ports[1],
        write_port=ports[2],
        read_port=ports[3],
        projector_health_port=ports[4],
        write_metrics_port=ports[5],
        read_metrics_port=ports[6],
        projector_metrics_port=ports[7],
        eventstore_metrics_port=ports[8],
        start_timeout_seconds=START_TIMEOUT_SECONDS,
    )
    running: list[Running] = []
    try:
        for spec in plan_stack(settings, sys.executable, secantusd, metrics=True):
            running.append(launch(replace(spec, env={**spec.env, **extra_env})))
            wait_until_ready(running[-1].process, spec.readiness, START_TIMEOUT_SECONDS, spec.title)
        yield ObservedStack(settings, tuple(running))
    finally:
        stop_all(running, grace_seconds=10)
