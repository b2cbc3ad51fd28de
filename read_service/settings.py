"""Settings of the read service: one field per environment variable, read once by the
composition root through `orders_runtime.settings.load_settings`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Final, Literal, TypeAlias, get_args

from msgspec import Meta

from orders_runtime.setting_types import (
    Count,
    Flag,
    Host,
    LogLevel,
    MongoDatabase,
    MongoUri,
    OtlpEndpoint,
    Port,
    PositiveSeconds,
    Seconds,
)
from orders_runtime.settings import Before, Variable
from orders_runtime.store_credentials import mongo_credentials

# MongoDB's read preference modes, as a connection string spells them (any case accepted).
ReadPreferenceMode: TypeAlias = Literal[
    "primary", "primaryPreferred", "secondaryPreferred", "secondary", "nearest"
]
_MODE_SPELLINGS: Final[dict[str, str]] = {
    mode.lower(): mode for mode in get_args(ReadPreferenceMode)
}


def _mode_spelling(raw: str) -> str:
    return _MODE_SPELLINGS.get(raw.lower(), raw)


ReadPreferenceSetting: TypeAlias = Annotated[
    ReadPreferenceMode,
    Before(_mode_spelling),
    Meta(description="one of primary, primaryPreferred, secondaryPreferred, secondary or nearest"),
]

# HMAC-SHA256 wants at least as many key bytes as its output; shorter keys are guessable.
PageTokenKey: TypeAlias = Annotated[
    str, Meta(min_length=32, description="a secret of at least 32 characters")
]


@dataclass(frozen=True, slots=True)
class Settings:
    host: Annotated[Host, Variable("READ_SERVICE_HOST")] = "127.0.0.1"
    port: Annotated[Port, Variable("READ_SERVICE_PORT")] = 50052
    # A secret because it may carry credentials (mongodb://user:pass@...).
    mongo_uri: Annotated[MongoUri, Variable("MONGO_URI", secret=True)] = field(
        default="mongodb://127.0.0.1:27017/?directConnection=true", repr=False
    )
    mongo_database: Annotated[MongoDatabase, Variable("MONGO_DATABASE")] = "orders"
    # How long a MongoDB operation may wait for a reachable server before the call is UNAVAILABLE.
    mongo_timeout_seconds: Annotated[PositiveSeconds, Variable("MONGO_TIMEOUT_SECONDS")] = 2.0
    log_level: Annotated[LogLevel, Variable("LOG_LEVEL")] = "INFO"
    # Where queries read: anything but primary runs each query's reads in one causally
    # consistent session (read concern majority), so read-your-writes holds on secondaries too.
    read_preference: Annotated[ReadPreferenceSetting, Variable("READ_SERVICE_READ_PREFERENCE")] = (
        "primary"
    )
    # A WAIT read whose call has no deadline waits at most this long for the projection.
    consistency_max_wait_seconds: Annotated[
        PositiveSeconds, Variable("READ_CONSISTENCY_MAX_WAIT_SECONDS")
    ] = 5.0
    # Interval of the one per-process poll loop, used only when change streams are unavailable.
    consistency_poll_seconds: Annotated[
        PositiveSeconds, Variable("READ_CONSISTENCY_POLL_SECONDS")
    ] = 0.05
    # Waiters are also woken at this interval as a safety net against a missed notification.
    consistency_recheck_seconds: Annotated[
        PositiveSeconds, Variable("READ_CONSISTENCY_RECHECK_SECONDS")
    ] = 0.5
    use_change_stream: Annotated[Flag, Variable("READ_CONSISTENCY_CHANGE_STREAM")] = True
    health_ping_seconds: Annotated[PositiveSeconds, Variable("READ_HEALTH_PING_SECONDS")] = 1.0
    # How long the name of the active read-model version is cached before it is looked up again.
    read_model_pointer_ttl_seconds: Annotated[
        Seconds, Variable("READ_MODEL_POINTER_TTL_SECONDS")
    ] = 1.0
    # How old the projector's progress in ReadMetadata may be; 0 re-reads it for every query.
    progress_max_age_seconds: Annotated[Seconds, Variable("READ_PROGRESS_MAX_AGE_SECONDS")] = 0.1
    # Token-less GetOrderSummary / ListCustomerOrders answers kept in memory (0 turns it off).
    read_cache_max_entries: Annotated[Count, Variable("READ_CACHE_MAX_ENTRIES")] = 50_000
    shutdown_grace_seconds: Annotated[Seconds, Variable("READ_SHUTDOWN_GRACE_SECONDS")] = 5.0
    # Signs page tokens; empty: a random key per process, so tokens do not survive a restart and
    # work only on the replica that issued them.
    page_token_key: Annotated[PageTokenKey, Variable("READ_PAGE_TOKEN_KEY", secret=True)] = field(
        default="", repr=False
    )
    # /metrics for Prometheus; 0 leaves it off (`orders dev` gives it 9102).
    # The customers' keys (orders_runtime.key_store), those the write service seals with. Empty:
    # sealed names and e-mails are answered as "" (a warning at start).
    key_store_path: Annotated[str, Variable("KEY_STORE_PATH")] = ""
    metrics_host: Annotated[Host, Variable("METRICS_HOST")] = "127.0.0.1"
    metrics_port: Annotated[Port, Variable("METRICS_PORT")] = 0
    # Spans to this OpenTelemetry collector (OTLP/gRPC); unset, no tracing.
    otlp_endpoint: Annotated[OtlpEndpoint, Variable("OTEL_EXPORTER_OTLP_ENDPOINT")] = ""
    # Live queries (WatchOrder, WatchCustomerOrders): the changes a stream may have pending
    # before it drops them for one resync (its client reads too slowly; 0 means 1), the recent
    # changes kept for streams that resume, and how often streams re-read their state while
    # change streams are unavailable.
    watch_queue_limit: Annotated[Count, Variable("READ_WATCH_QUEUE_LIMIT")] = 64
    watch_history_size: Annotated[Count, Variable("READ_WATCH_HISTORY_SIZE")] = 10_000
    watch_poll_seconds: Annotated[PositiveSeconds, Variable("READ_WATCH_POLL_SECONDS")] = 1.0

    # Apart from the URI so that the password can come from a secret file (MONGO_PASSWORD_FILE).
    mongo_username: Annotated[str, Variable("MONGO_USERNAME")] = ""
    mongo_password: Annotated[str, Variable("MONGO_PASSWORD", secret=True)] = field(
        default="", repr=False
    )

    def __post_init__(self) -> None:
        # Clashing credentials are refused when the settings are read, not at first use.
        self.mongo_credentials  # noqa: B018

    @property
    def mongo_credentials(self) -> dict[str, Any]:
        """Keyword arguments of the MongoDB client beside MONGO_URI: never log them."""
        return mongo_credentials(self.mongo_uri, self.mongo_username, self.mongo_password)
