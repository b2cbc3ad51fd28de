"""What the local stack runs, in start order: pure data, no processes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias

from orders_cli.dev_keys import DevSecurity
from orders_cli.stack_settings import (
    EVENTSTORE_PORT_VAR,
    HOST,
    MONGO_PORT_VAR,
    PROJECTOR_HEALTH_PORT_VAR,
    READ_PORT_VAR,
    WRITE_PORT_VAR,
    StackSettings,
)


@dataclass(frozen=True, slots=True)
class TcpOpen:
    """Healthy once the port accepts connections."""

    port: int


@dataclass(frozen=True, slots=True)
class GrpcServing:
    """Healthy once the standard gRPC health service answers SERVING."""

    port: int
    # The CA of the service's TLS certificate; None: the port speaks plaintext.
    ca_file: Path | None = None


@dataclass(frozen=True, slots=True)
class StaysUp:
    """A process with no port: healthy once it is still running after a short while."""

    seconds: float


Readiness: TypeAlias = TcpOpen | GrpcServing | StaysUp


@dataclass(frozen=True, slots=True)
class ProcessSpec:
    key: str
    title: str
    argv: tuple[str, ...]
    address: str
    readiness: Readiness
    log_file: Path
    env: Mapping[str, str] = field(default_factory=dict)
    # The port this process binds and the variable that moves it, for a clear clash message.
    port: int | None = None
    port_var: str | None = None


def plan_stack(
    settings: StackSettings,
    python: str,
    secantusd: str,
    security: DevSecurity | None = None,
    *,
    metrics: bool = False,
) -> list[ProcessSpec]:
    """Every process of the stack, each after the ones it needs. With ``security`` the two
    services serve TLS and require tokens signed by its key; with ``metrics``, each of our
    processes serves /metrics on its port of ``settings``."""
    logs = settings.log_dir
    service_env = security.service_environment() if security else {}
    ca_file = security.ca_cert if security else None

    def metrics_on(port: int) -> dict[str, str]:
        return {"METRICS_PORT": str(port)} if metrics else {}

    store_env = {"EVENTSTORE_URI": settings.eventstore_uri}
    mongo_env = {"MONGO_URI": settings.mongo_uri, "MONGO_DATABASE": settings.mongo_database}
    # The customers' keys: the write service seals with them, the read service opens with them.
    keys_env = {"KEY_STORE_PATH": str(settings.data_dir / "keys" / "customer_keys.sqlite3")}
    return [
        ProcessSpec(
            key="eventstore",
            title="event store",
            argv=(
                python,
                "-m",
                "eventstore_lite",
                "--port",
                str(settings.eventstore_port),
                "--data",
                str(settings.data_dir / "eventstore"),
            ),
            address=settings.eventstore_uri,
            readiness=TcpOpen(settings.eventstore_port),
            log_file=logs / "eventstore.log",
            env=metrics_on(settings.eventstore_metrics_port),
            port=settings.eventstore_port,
            port_var=EVENTSTORE_PORT_VAR,
        ),
        ProcessSpec(
            key="mongo",
            title="SecantusDB",
            argv=(
                secantusd,
                "--host",
                HOST,
                "--port",
                str(settings.mongo_port),
                "--storage-path",
                str(settings.data_dir / "mongo"),
                # Durable commits: without them a kill -9 loses acknowledged transactions.
                "--sync-on-commit",
            ),
            address=settings.mongo_uri,
            readiness=TcpOpen(settings.mongo_port),
            log_file=logs / "secantusdb.log",
            port=settings.mongo_port,
            port_var=MONGO_PORT_VAR,
        ),
        ProcessSpec(
            key="write_service",
            title="write service",
            argv=(python, "-m", "write_service"),
            address=f"{HOST}:{settings.write_port}",
            readiness=GrpcServing(settings.write_port, ca_file),
            log_file=logs / "write_service.log",
            env={
                **store_env,
                **service_env,
                **keys_env,
                "WRITE_SERVICE_HOST": HOST,
                WRITE_PORT_VAR: str(settings.write_port),
                **metrics_on(settings.write_metrics_port),
            },
            port=settings.write_port,
            port_var=WRITE_PORT_VAR,
        ),
        ProcessSpec(
            key="projector",
            title="projector",
            argv=(python, "-m", "projector"),
            address=f"{settings.eventstore_uri} -> {settings.mongo_database}",
            readiness=GrpcServing(settings.projector_health_port, ca_file),
            log_file=logs / "projector.log",
            env={
                **store_env,
                **mongo_env,
                **service_env,
                PROJECTOR_HEALTH_PORT_VAR: str(settings.projector_health_port),
                **metrics_on(settings.projector_metrics_port),
            },
            port=settings.projector_health_port,
            port_var=PROJECTOR_HEALTH_PORT_VAR,
        ),
        ProcessSpec(
            key="read_service",
            title="read service",
            argv=(python, "-m", "read_service"),
            address=f"{HOST}:{settings.read_port}",
            readiness=GrpcServing(settings.read_port, ca_file),
            log_file=logs / "read_service.log",
            env={
                **mongo_env,
                **service_env,
                **keys_env,
                "READ_SERVICE_HOST": HOST,
                READ_PORT_VAR: str(settings.read_port),
                **metrics_on(settings.read_metrics_port),
            },
            port=settings.read_port,
            port_var=READ_PORT_VAR,
        ),
    ]
