"""Settings of the embedded event store server: one field per environment variable; the
command-line flags of `python -m eventstore_lite` override their variables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from eventstore_lite.storage import DEFAULT_MAX_APPEND_SIZE
from orders_runtime.setting_types import Folder, Host, LogLevel, Port, PositiveCount
from orders_runtime.settings import Variable


@dataclass(frozen=True, slots=True)
class ServerSettings:
    data: Annotated[Folder, Variable("EVENTSTORE_LITE_DATA")]
    host: Annotated[Host, Variable("EVENTSTORE_LITE_HOST")] = "127.0.0.1"
    port: Annotated[Port, Variable("EVENTSTORE_LITE_PORT")] = 2113
    # Bytes of data and metadata in one append; the real server's default is 1 MiB.
    max_append_size: Annotated[PositiveCount, Variable("EVENTSTORE_LITE_MAX_APPEND_SIZE")] = (
        DEFAULT_MAX_APPEND_SIZE
    )
    log_level: Annotated[LogLevel, Variable("LOG_LEVEL")] = "INFO"
    # /metrics for Prometheus (the process's CPU, memory, files); 0 leaves it off.
    metrics_host: Annotated[Host, Variable("METRICS_HOST")] = "127.0.0.1"
    metrics_port: Annotated[Port, Variable("METRICS_PORT")] = 0
