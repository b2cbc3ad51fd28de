"""Settings of the local development stack (`orders dev`): one field per environment variable,
read through `orders_runtime.settings`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Final

from orders_runtime.setting_types import FixedPort, Folder, MongoDatabase, Port, PositiveSeconds
from orders_runtime.settings import Variable

HOST: Final = "127.0.0.1"

# Each port's variable, so a port clash can name the one to change. The two services read
# their own variables, so the same names work for `orders dev` and for a service run alone.
EVENTSTORE_PORT_VAR: Final = "ORDERS_DEV_EVENTSTORE_PORT"
MONGO_PORT_VAR: Final = "ORDERS_DEV_MONGO_PORT"
WRITE_PORT_VAR: Final = "WRITE_SERVICE_PORT"
READ_PORT_VAR: Final = "READ_SERVICE_PORT"
PROJECTOR_HEALTH_PORT_VAR: Final = "PROJECTOR_HEALTH_PORT"
DATA_DIR_VAR: Final = "ORDERS_DEV_DATA_DIR"
START_TIMEOUT_VAR: Final = "ORDERS_DEV_START_TIMEOUT"
MONGO_DATABASE_VAR: Final = "MONGO_DATABASE"


@dataclass(frozen=True, slots=True)
class StackSettings:
    data_dir: Annotated[Folder, Variable(DATA_DIR_VAR)] = Path(".devdata")
    # Fixed ports (not 0): the stack prints them and the CLI connects to them.
    eventstore_port: Annotated[FixedPort, Variable(EVENTSTORE_PORT_VAR)] = 2113
    mongo_port: Annotated[FixedPort, Variable(MONGO_PORT_VAR)] = 27017
    write_port: Annotated[FixedPort, Variable(WRITE_PORT_VAR)] = 50051
    read_port: Annotated[FixedPort, Variable(READ_PORT_VAR)] = 50052
    projector_health_port: Annotated[FixedPort, Variable(PROJECTOR_HEALTH_PORT_VAR)] = 50053
    mongo_database: Annotated[MongoDatabase, Variable(MONGO_DATABASE_VAR)] = "orders"
    # Each process's /metrics (Prometheus); 0 leaves that one off.
    write_metrics_port: Annotated[Port, Variable("ORDERS_DEV_WRITE_METRICS_PORT")] = 9101
    read_metrics_port: Annotated[Port, Variable("ORDERS_DEV_READ_METRICS_PORT")] = 9102
    projector_metrics_port: Annotated[Port, Variable("ORDERS_DEV_PROJECTOR_METRICS_PORT")] = 9103
    eventstore_metrics_port: Annotated[Port, Variable("ORDERS_DEV_EVENTSTORE_METRICS_PORT")] = 9104
    # How long each process may take to become healthy before the stack gives up.
    start_timeout_seconds: Annotated[PositiveSeconds, Variable(START_TIMEOUT_VAR)] = 30.0

    @property
    def eventstore_uri(self) -> str:
        return f"kurrentdb://{HOST}:{self.eventstore_port}?tls=false"

    @property
    def mongo_uri(self) -> str:
        # No retryable writes against the stand-in: SecantusDB keeps every retryable write's
        # reply and, past 10,000, sorts them all on each write, under the lock its transactions
        # take (bench/soak_secantus.py); a long-running dev stack would slow down by the minute.
        return f"mongodb://{HOST}:{self.mongo_port}/?directConnection=true&retryWrites=false"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"
