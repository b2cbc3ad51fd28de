"""Settings of the projector: one field per environment variable, read once by the composition
root through `orders_runtime.settings.load_settings`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from msgspec import Meta

from orders_runtime.setting_types import (
    Count,
    EventStoreUri,
    Flag,
    Host,
    LogLevel,
    MongoDatabase,
    MongoUri,
    OtlpEndpoint,
    Port,
    PositiveCount,
    PositiveSeconds,
    Text,
)
from orders_runtime.settings import Variable
from orders_runtime.store_credentials import (
    StorePassword,
    StoreUser,
    eventstore_uri_with,
    mongo_credentials,
)
from projector.analytics_orphans import ORPHAN_FOLD_INTERVAL
from projector.batch_writer import DOCUMENT_CACHE_SIZE
from projector.consumer import BatchSettings
from projector.event_source import LAG_EVENTS_CAP
from projector.subscription_group import GroupSettings


@dataclass(frozen=True, slots=True)
class Settings:
    # Both URIs are secrets because they may carry credentials (scheme://user:pass@...).
    eventstore_uri: Annotated[EventStoreUri, Variable("EVENTSTORE_URI", secret=True)] = field(
        default="kurrentdb://127.0.0.1:2113?tls=false", repr=False
    )
    mongo_uri: Annotated[MongoUri, Variable("MONGO_URI", secret=True)] = field(
        default="mongodb://127.0.0.1:27017/?directConnection=true", repr=False
    )
    mongo_database: Annotated[MongoDatabase, Variable("MONGO_DATABASE")] = "orders"
    group_name: Annotated[Text, Variable("PROJECTOR_GROUP")] = "orders-projector"
    max_retry_count: Annotated[Count, Variable("PROJECTOR_MAX_RETRY_COUNT")] = 5
    # Seconds; the server keeps it as 32-bit milliseconds, and a day is already generous.
    message_timeout: Annotated[
        float, Meta(gt=0, le=86_400), Variable("PROJECTOR_MESSAGE_TIMEOUT")
    ] = 30.0
    batch_size: Annotated[PositiveCount, Variable("PROJECTOR_BATCH_SIZE")] = 500
    batch_max_wait_ms: Annotated[
        float, Meta(ge=0, le=60_000), Variable("PROJECTOR_BATCH_MAX_WAIT_MS")
    ] = 50.0
    # Shortest time between two writes of the status documents (progress, lag, replica state):
    # the batches in between are summed. Each write is a status document per read model, about
    # one document per event written at 40 events/s (bench: pipeline), and every replica writes
    # its own; the read service's waiting reads re-check when an order or a status document
    # changes, so a longer interval delays reads waiting on a customer's own stream alone.
    progress_interval_ms: Annotated[
        float, Meta(gt=0, le=60_000), Variable("PROJECTOR_PROGRESS_INTERVAL_MS")
    ] = 100.0
    # Under load a batch lingers for more events (projector.batching); idle, it never waits.
    batch_adaptive: Annotated[Flag, Variable("PROJECTOR_BATCH_ADAPTIVE")] = True
    document_cache_size: Annotated[Count, Variable("PROJECTOR_DOCUMENT_CACHE_SIZE")] = (
        DOCUMENT_CACHE_SIZE
    )
    log_level: Annotated[LogLevel, Variable("LOG_LEVEL")] = "INFO"
    # Events waiting and none arriving this long: the subscription is stalled and reconnected.
    stall_seconds: Annotated[PositiveSeconds, Variable("PROJECTOR_STALL_SECONDS")] = 30.0
    # How often each replica looks for the analytics shards of replicas gone without folding
    # them (killed with -9) and folds them: every look reads the shard ids, a small list.
    orphan_fold_interval: Annotated[
        PositiveSeconds, Variable("PROJECTOR_ORPHAN_FOLD_INTERVAL_SECONDS")
    ] = ORPHAN_FOLD_INTERVAL
    health_host: Annotated[Host, Variable("PROJECTOR_HEALTH_HOST")] = "127.0.0.1"
    # The gRPC server: standard health and ProjectionAdminService; 0 leaves it off.
    health_port: Annotated[Port, Variable("PROJECTOR_HEALTH_PORT")] = 0
    # /metrics for Prometheus; 0 leaves it off (`orders dev` gives it 9103).
    metrics_host: Annotated[Host, Variable("METRICS_HOST")] = "127.0.0.1"
    metrics_port: Annotated[Port, Variable("METRICS_PORT")] = 0
    # Spans to this OpenTelemetry collector (OTLP/gRPC); unset, no tracing.
    otlp_endpoint: Annotated[OtlpEndpoint, Variable("OTEL_EXPORTER_OTLP_ENDPOINT")] = ""
    # A read model this many events behind answers NOT_SERVING (lag is counted up to 1000).
    max_lag_events: Annotated[
        int, Meta(ge=1, le=LAG_EVENTS_CAP), Variable("PROJECTOR_MAX_LAG_EVENTS")
    ] = LAG_EVENTS_CAP
    # Apart from the URIs so that the passwords can come from secret files (_FILE).
    eventstore_username: Annotated[StoreUser, Variable("EVENTSTORE_USERNAME")] = ""
    eventstore_password: Annotated[StorePassword, Variable("EVENTSTORE_PASSWORD", secret=True)] = (
        field(default="", repr=False)
    )
    mongo_username: Annotated[str, Variable("MONGO_USERNAME")] = ""
    mongo_password: Annotated[str, Variable("MONGO_PASSWORD", secret=True)] = field(
        default="", repr=False
    )

    def __post_init__(self) -> None:
        # Clashing credentials are refused when the settings are read, not at first use.
        self.eventstore_connection  # noqa: B018
        self.mongo_credentials  # noqa: B018

    @property
    def eventstore_connection(self) -> str:
        """EVENTSTORE_URI with the user and password in it, for the client only: never log it."""
        return eventstore_uri_with(
            self.eventstore_uri, self.eventstore_username, self.eventstore_password
        )

    @property
    def mongo_credentials(self) -> dict[str, Any]:
        """Keyword arguments of the MongoDB client beside MONGO_URI: never log them."""
        return mongo_credentials(self.mongo_uri, self.mongo_username, self.mongo_password)

    @property
    def group(self) -> GroupSettings:
        return GroupSettings(
            name=self.group_name,
            max_retry_count=self.max_retry_count,
            message_timeout=self.message_timeout,
        )

    @property
    def batch(self) -> BatchSettings:
        return BatchSettings(
            max_size=self.batch_size,
            max_wait=self.batch_max_wait_ms / 1000,
            adaptive_linger=self.batch_adaptive,
            progress_interval=self.progress_interval_ms / 1000,
        )
