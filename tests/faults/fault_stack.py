"""The whole system as `orders dev` runs it, plus a second projector replica, each part its own
process on a free port, which the fault suite kills with SIGKILL and starts again.

The processes are planned and launched by the dev stack's own code (orders_cli.stack_plan and
orders_cli.supervisor), so they run exactly as `make dev` runs them, SecantusDB's flags
included.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from orders_cli.dev_stack import find_secantusd
from orders_cli.readiness import wait_until_ready
from orders_cli.stack_plan import GrpcServing, ProcessSpec, plan_stack
from orders_cli.stack_settings import StackSettings
from orders_cli.supervisor import Running, launch, stop
from orders_runtime.ports import free_ports

EVENT_STORE = "eventstore"
SECANTUS = "mongo"
WRITE_SERVICE = "write_service"
PROJECTOR = "projector"
SECOND_PROJECTOR = "projector_2"
READ_SERVICE = "read_service"
START_TIMEOUT_SECONDS = 90.0
STOP_GRACE_SECONDS = 10.0


@dataclass(frozen=True)
class Exit:
    """A process that ended without being killed by the suite."""

    key: str
    code: int
    at: datetime
    log_tail: str


@dataclass
class FaultStack:
    settings: StackSettings
    specs: dict[str, ProcessSpec]
    running: dict[str, Running] = field(default_factory=dict)
    exits: list[Exit] = field(default_factory=list)
    # Parts the suite is killing or starting right now: their exit is no surprise.
    _handling: set[str] = field(default_factory=set)

    @property
    def write_address(self) -> str:
        return f"127.0.0.1:{self.settings.write_port}"

    @property
    def read_address(self) -> str:
        return f"127.0.0.1:{self.settings.read_port}"

    def title(self, key: str) -> str:
        return self.specs[key].title

    def start(self, key: str) -> None:
        """Launch one part and return once it is healthy (blocking)."""
        self._handling.add(key)
        try:
            self.running[key] = launch(self.specs[key])
            wait_until_ready(
                self.running[key].process,
                self.specs[key].readiness,
                START_TIMEOUT_SECONDS,
                self.specs[key].title,
            )
        finally:
            self._handling.discard(key)

    def start_all(self) -> None:
        for key in self.specs:
            self.start(key)

    def kill(self, key: str) -> float:
        """SIGKILL, as a crash or the OOM killer would; the moment it was sent."""
        self._handling.add(key)
        process = self.running[key].process
        killed_at = time.monotonic()
        process.send_signal(signal.SIGKILL)
        process.wait()
        return killed_at

    def restart_exited(self) -> list[Exit]:
        """Start again, as a supervisor would, every part that ended on its own (blocking)."""
        found = []
        for key, item in list(self.running.items()):
            code = item.process.poll()
            if key in self._handling or code is None:
                continue
            found.append(Exit(key, code, datetime.now(UTC), self.log_tail(key)))
            self.start(key)
        self.exits.extend(found)
        return found

    def stop_all(self) -> None:
        for key in reversed(list(self.running)):
            self._handling.add(key)
            stop(self.running[key], STOP_GRACE_SECONDS)

    def logged(self, key: str, event: str) -> list[dict[str, object]]:
        """The JSON lines of the part's log, across its restarts, whose event is ``event``."""
        try:
            lines = self.specs[key].log_file.read_text(errors="replace").splitlines()
        except OSError:
            return []
        found = []
        for line in lines:
            if f'"{event}"' in line:
                with contextlib.suppress(ValueError):
                    record = json.loads(line)
                    if isinstance(record, dict) and record.get("event") == event:
                        found.append(record)
        return found

    def log_tail(self, key: str, lines: int = 15) -> str:
        try:
            text = self.specs[key].log_file.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def plan_fault_stack(data_dir: Path, extra_env: Mapping[str, str]) -> FaultStack:
    secantusd = find_secantusd()
    if secantusd is None:
        raise RuntimeError("secantusd-py is not installed: run `make venv`")
    # The second projector replica's own gRPC port is the last: the servers refuse to share one
    # (no SO_REUSEPORT).
    eventstore, mongo, write, read, projector_health, second_port = free_ports(6)
    settings = StackSettings(
        data_dir=data_dir,
        eventstore_port=eventstore,
        mongo_port=mongo,
        write_port=write,
        read_port=read,
        projector_health_port=projector_health,
        mongo_database="orders",
        start_timeout_seconds=START_TIMEOUT_SECONDS,
    )
    specs = {
        spec.key: replace(spec, env={**spec.env, **extra_env})
        for spec in plan_stack(settings, sys.executable, secantusd)
    }
    first = specs[PROJECTOR]
    specs[PROJECTOR] = replace(first, title="projector replica 1")
    specs[SECOND_PROJECTOR] = replace(
        first,
        key=SECOND_PROJECTOR,
        title="projector replica 2",
        log_file=first.log_file.with_name("projector_2.log"),
        env={**first.env, "PROJECTOR_HEALTH_PORT": str(second_port)},
        port=second_port,
        readiness=GrpcServing(second_port),
    )
    ordered = [EVENT_STORE, SECANTUS, WRITE_SERVICE, PROJECTOR, SECOND_PROJECTOR, READ_SERVICE]
    return FaultStack(settings, {key: specs[key] for key in ordered})
