"""Settings of the write service: one field per environment variable, read once by the
composition root through `orders_runtime.settings.load_settings`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from msgspec import Meta

from orders_runtime.setting_types import EventStoreUri, Host, LogLevel, OtlpEndpoint, Port
from orders_runtime.settings import Before, Variable
from orders_runtime.store_credentials import StorePassword, StoreUser, eventstore_uri_with
from write_service.event_appender import AppendMode


@dataclass(frozen=True, slots=True)
class Settings:
    # Loopback by default so a development run is not reachable from the network; containers
    # set WRITE_SERVICE_HOST=0.0.0.0.
    host: Annotated[Host, Variable("WRITE_SERVICE_HOST")] = "127.0.0.1"
    port: Annotated[Port, Variable("WRITE_SERVICE_PORT")] = 50051
    # A secret because it may carry credentials (kurrentdb://user:pass@...).
    eventstore_uri: Annotated[EventStoreUri, Variable("EVENTSTORE_URI", secret=True)] = field(
        default="kurrentdb://127.0.0.1:2113?tls=false", repr=False
    )
    log_level: Annotated[LogLevel, Variable("LOG_LEVEL")] = "INFO"
    conflict_retries: Annotated[
        int, Meta(ge=0, le=100), Variable("WRITE_SERVICE_CONFLICT_RETRIES")
    ] = 5
    cache_size: Annotated[int, Meta(ge=0, le=10_000_000), Variable("WRITE_SERVICE_CACHE_SIZE")] = (
        10_000
    )
    store_timeout: Annotated[
        float, Meta(ge=0.01, le=3600), Variable("WRITE_SERVICE_STORE_TIMEOUT_SECONDS")
    ] = 5.0
    health_interval: Annotated[
        float, Meta(ge=0.05, le=3600), Variable("WRITE_SERVICE_HEALTH_INTERVAL_SECONDS")
    ] = 2.0
    shutdown_grace: Annotated[
        float, Meta(ge=0, le=3600), Variable("WRITE_SERVICE_SHUTDOWN_GRACE_SECONDS")
    ] = 10.0
    # "batch" shares one BatchAppend call among all appends, "plain" makes one call per append
    # through the client's public API; the same results and errors either way (bench/ measures).
    append_mode: Annotated[AppendMode, Before(str.lower), Variable("WRITE_SERVICE_APPEND_MODE")] = (
        "batch"
    )
    # /metrics for Prometheus; 0 leaves it off (`orders dev` gives it 9101).
    metrics_host: Annotated[Host, Variable("METRICS_HOST")] = "127.0.0.1"
    metrics_port: Annotated[Port, Variable("METRICS_PORT")] = 0
    # Spans to this OpenTelemetry collector (OTLP/gRPC); unset, no tracing.
    otlp_endpoint: Annotated[OtlpEndpoint, Variable("OTEL_EXPORTER_OTLP_ENDPOINT")] = ""
    # The customers' keys (orders_runtime.key_store), shared with the read service. Empty: names
    # and e-mails are stored in clear text and ForgetCustomer is refused (a warning at start).
    key_store_path: Annotated[str, Variable("KEY_STORE_PATH")] = ""
    # Apart from the URI so that the password can come from a secret file (_FILE).
    eventstore_username: Annotated[StoreUser, Variable("EVENTSTORE_USERNAME")] = ""
    eventstore_password: Annotated[StorePassword, Variable("EVENTSTORE_PASSWORD", secret=True)] = (
        field(default="", repr=False)
    )

    def __post_init__(self) -> None:
        # Clashing credentials are refused when the settings are read, not at first use.
        self.eventstore_connection  # noqa: B018

    @property
    def eventstore_connection(self) -> str:
        """EVENTSTORE_URI with the user and password in it, for the client only: never log it."""
        return eventstore_uri_with(
            self.eventstore_uri, self.eventstore_username, self.eventstore_password
        )
