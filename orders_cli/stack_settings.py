"""Settings of the local development stack (`orders dev`), read from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

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


class StackSettingsError(ValueError):
    """A variable of the dev stack is malformed; the message names it."""


@dataclass(frozen=True, slots=True)
class StackSettings:
    data_dir: Path = Path(".devdata")
    eventstore_port: int = 2113
    mongo_port: int = 27017
    write_port: int = 50051
    read_port: int = 50052
    projector_health_port: int = 50053
    mongo_database: str = "orders"
    # How long each process may take to become healthy before the stack gives up.
    start_timeout_seconds: float = 30.0

    @property
    def eventstore_uri(self) -> str:
        return f"kurrentdb://{HOST}:{self.eventstore_port}?tls=false"

    @property
    def mongo_uri(self) -> str:
        return f"mongodb://{HOST}:{self.mongo_port}/?directConnection=true"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"


def load_stack_settings(environ: Mapping[str, str] | None = None) -> StackSettings:
    env = os.environ if environ is None else environ
    defaults = StackSettings()
    return StackSettings(
        data_dir=Path(env.get(DATA_DIR_VAR) or defaults.data_dir),
        eventstore_port=_port(env, EVENTSTORE_PORT_VAR, defaults.eventstore_port),
        mongo_port=_port(env, MONGO_PORT_VAR, defaults.mongo_port),
        write_port=_port(env, WRITE_PORT_VAR, defaults.write_port),
        read_port=_port(env, READ_PORT_VAR, defaults.read_port),
        projector_health_port=_port(env, PROJECTOR_HEALTH_PORT_VAR, defaults.projector_health_port),
        mongo_database=env.get(MONGO_DATABASE_VAR) or defaults.mongo_database,
        start_timeout_seconds=_seconds(env, START_TIMEOUT_VAR, defaults.start_timeout_seconds),
    )


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise StackSettingsError(f"{name}={raw!r} is not a port number from 1 to 65535")
    return int(raw)


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise StackSettingsError(f"{name}={raw!r} is not a number of seconds above 0")
    return value
